public import EnvoyAPI

/// What the xDS server asks of the rest of the control plane: who a proxy is, and what it should have.
///
/// Called concurrently from every stream; implementations must be thread-safe and must not block.
public protocol ResourceProvider: Sendable {
    /// What the provider needs to remember about one admitted proxy.
    associatedtype Client: Sendable

    /// Admits a proxy from the `Node` of its first request and what the transport knows of the peer.
    /// Throw to refuse the stream; the error's text is sent to the proxy.
    func admit(node: Envoy_Config_Core_V3_Node, peer: PeerInfo) throws -> Client

    /// Every resource of `type` that `client` should see now, with the generation of the mesh state it
    /// was made from. The server filters by subscription for non-wildcard types. Must return the same
    /// resources for the same mesh state.
    func resources(_ type: XDSType, for client: Client) async -> ResourceSet

    /// A short label for logs and status pages (usually the node id).
    func describe(_ client: Client) -> String

    /// The push this client's stream should run for `request`, decided when the push is offered (so every
    /// change is judged against the state it made current). A provider widens a narrow push (e.g. an
    /// EDS-only fast path) for a client whose other types may have changed too. Must be quick and must not
    /// block. The default runs `request` as it is.
    func pushScope(_ request: PushRequest, for client: Client) -> PushRequest

    /// Whether `client` is told which of its subscribed names have no resource (`resource_errors`). Envoy is not (an
    /// unknown name gets the spec's empty answer); a proxyless gRPC client is, so that it fails at once with the
    /// reason instead of after its 15 s does-not-exist timer. Must be quick. The default is false.
    func reportsMissingResources(_ client: Client) -> Bool

    /// Why `client`, which subscribed to `name` of `type`, gets no such resource: the text of its NOT_FOUND resource
    /// error, shown in sync status and logged. Only asked for names that are missing, and only when
    /// `reportsMissingResources`.
    func missingResourceReason(_ type: XDSType, name: String, for client: Client) -> String

    /// The registry the server records its connections in, read once when the server is made. A provider that shows
    /// who is connected (admin views) hands one it reads, so that there is one record of it; nil, the default, lets
    /// the server keep its own. One server per registry.
    var connectionRegistry: ConnectionRegistry<Client>? { get }
}

extension ResourceProvider {
    public func pushScope(_ request: PushRequest, for client: Client) -> PushRequest { request }

    public var connectionRegistry: ConnectionRegistry<Client>? { nil }

    public func reportsMissingResources(_ client: Client) -> Bool { false }

    public func missingResourceReason(_ type: XDSType, name: String, for client: Client) -> String {
        "\(type.shortName) resource \(name) not found"
    }
}

/// Resources and the generation of the state they were made from.
public struct ResourceSet: Sendable {
    /// Increases with every change of the provider's state; lets observers tie a response to the change
    /// that produced it.
    public var generation: UInt64
    public var resources: [XDSResource]
    /// `XDSResource.setVersion(of: resources)` when the provider already knows it (e.g. from its cache);
    /// saves re-hashing a shared set on every connection. Nil to let the server compute it.
    public var version: String?
    /// `XDSResource.namesDigest(of: resources)` when the provider already knows it (e.g. from its cache): lets a
    /// stream whose subscription was found to cover these names skip filtering thousands of them on every push.
    /// Nil to filter every time.
    public var namesDigest: UInt64?
    /// Name → version of every resource, when the provider already has it (from its cache): a Delta stream whose
    /// proxy holds exactly this set keeps this one dictionary, shared with every such stream, instead of its own.
    public var versions: [String: String]?

    public init(
        generation: UInt64, resources: [XDSResource], version: String? = nil, namesDigest: UInt64? = nil,
        versions: [String: String]? = nil
    ) {
        self.generation = generation
        self.resources = resources
        self.version = version
        self.namesDigest = namesDigest
        self.versions = versions
    }
}
