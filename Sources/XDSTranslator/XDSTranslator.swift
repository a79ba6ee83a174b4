public import MeshModel
internal import SwiftProtobuf

/// Turns a mesh snapshot into the Envoy resources one proxy should see.
///
/// Pure and thread-safe: no I/O, no locks, no shared mutable state. The same snapshot and inputs always give
/// the same resources in the same order, so callers can cache by content: each type's generator reads only its
/// inputs (`ProxyInputs`), which are therefore the cache key (`GeneratorInputs`).
public struct XDSTranslator: Sendable {
    /// Mesh-wide settings (the mesh config's outbound traffic policy).
    public let settings: TranslatorSettings

    public init(settings: TranslatorSettings = TranslatorSettings()) {
        self.settings = settings
        _ = AnyTypeRegistry.registered
    }

    /// All resources of `typeURL` for this proxy, sorted by name. Unknown type URL -> []. `secrets` is the proxy's
    /// own key material, served over SDS; the caller must only pass the secrets of the proxy's own identity.
    /// Builds the snapshot's `ProxyInputsIndex` on every call: callers that generate for many proxies keep one
    /// index per snapshot and call `generate(_:snapshot:)`.
    public func generate(
        typeURL: String, snapshot: MeshSnapshot, proxy: Proxy, secrets: ProxySecrets? = nil
    )
        -> [TranslatedResource]
    {
        generateMessages(typeURL: typeURL, snapshot: snapshot, proxy: proxy, secrets: secrets).map(\.packed)
    }

    /// The same resources as `generate`, as typed messages (sorted by name): for golden files and config dumps.
    public func generateMessages(
        typeURL: String, snapshot: MeshSnapshot, proxy: Proxy, secrets: ProxySecrets? = nil
    )
        -> [TranslatedMessage]
    {
        if typeURL == TypeURL.secret {
            return generateSecrets(ProxyInputsIndex.secretInputs(of: proxy, secrets: secrets), snapshot: snapshot)
        }
        guard let inputs = ProxyInputsIndex(snapshot).inputs(of: proxy, typeURL: typeURL) else { return [] }
        return generateMessages(inputs, snapshot: snapshot)
    }

    /// The resources of one cacheable type for a proxy with these inputs, sorted by name.
    public func generate(_ inputs: GeneratorInputs, snapshot: MeshSnapshot) -> [TranslatedResource] {
        generateMessages(inputs, snapshot: snapshot).map(\.packed)
    }

    /// `generate(_:snapshot:)` as typed messages.
    public func generateMessages(_ inputs: GeneratorInputs, snapshot: MeshSnapshot) -> [TranslatedMessage] {
        if let messages = generateProxylessGRPC(inputs, snapshot: snapshot) { return messages }
        return switch inputs {
        // EnvoyFilter patches go on last, over what the generator made (EDS is never patched, as in istiod).
        case .cluster(let inputs):
            run(ClusterGenerator(), inputs, snapshot) {
                EnvoyFilterPatcher.patchClusters($0, inputs.envoyFilters, kind: inputs.kind)
            }
        case .endpoint(let inputs): run(EndpointGenerator(), inputs, snapshot)
        case .listener(let inputs):
            run(ListenerGenerator(), inputs, snapshot) {
                EnvoyFilterPatcher.patchListeners($0, inputs.envoyFilters, kind: inputs.kind)
            }
        case .route(let inputs):
            run(RouteGenerator(), inputs, snapshot) {
                EnvoyFilterPatcher.patchRoutes($0, inputs.envoyFilters, kind: inputs.kind)
            }
        case .extensionConfig(let inputs): run(ExtensionConfigGenerator(), inputs, snapshot)
        }
    }

    /// SDS for a proxy with these inputs, sorted by name.
    public func generateSecrets(_ inputs: SecretInputs, snapshot: MeshSnapshot) -> [TranslatedMessage] {
        run(SecretGenerator(), inputs, snapshot)
    }

    /// The EDS resources `generate` gives for the clusters of `hostnames` only, sorted by name: after a change
    /// of those services' endpoints alone, the rest of the proxy's EDS is unchanged and need not be generated.
    public func generateEndpoints(
        _ inputs: EndpointInputs, snapshot: MeshSnapshot, hostnames: Set<String>
    )
        -> [TranslatedResource]
    {
        let context = GenerationContext(snapshot: snapshot, inputs: inputs, settings: settings)
        if inputs.kind == .grpc {
            return Self.unique(GRPCEndpoints.resources(for: context, hostnames: hostnames)).map(\.packed)
        }
        return Self.unique(EndpointGenerator().resources(for: context, hostnames: hostnames)).map(\.packed)
    }

    /// A proxyless gRPC client's resources (`ProxylessGRPC/`, istiod's `grpc` generator); nil for other proxies.
    private func generateProxylessGRPC(_ inputs: GeneratorInputs, snapshot: MeshSnapshot) -> [TranslatedMessage]? {
        func context<I: ProxyInputs>(_ inputs: I) -> GenerationContext<I> {
            GenerationContext(snapshot: snapshot, inputs: inputs, settings: settings)
        }
        switch inputs {
        case .cluster(let inputs) where inputs.kind == .grpc:
            return Self.unique(GRPCClusters.resources(for: context(inputs)))
        case .endpoint(let inputs) where inputs.kind == .grpc:
            return Self.unique(GRPCEndpoints.resources(for: context(inputs)))
        case .listener(let inputs) where inputs.kind == .grpc:
            return Self.unique(GRPCListeners.resources(for: context(inputs)))
        case .route(let inputs) where inputs.kind == .grpc:
            return Self.unique(GRPCRoutes.resources(for: context(inputs)))
        case .extensionConfig(let inputs) where inputs.kind == .grpc:
            return []
        default: return nil
        }
    }

    /// Why a proxyless gRPC client that subscribed to `name` of `typeURL` gets no such resource: the reason meshd
    /// reports to it (a NOT_FOUND resource error) and logs. Pure; only called for names that are missing.
    public func proxylessGRPCAbsence(typeURL: String, name: String, snapshot: MeshSnapshot, proxy: Proxy) -> String {
        GRPCResourceAbsence.reason(typeURL: typeURL, name: name, snapshot: snapshot, proxy: proxy, settings: settings)
    }

    private func run<G: ResourceGenerator>(
        _ generator: G, _ inputs: G.Inputs, _ snapshot: MeshSnapshot,
        patched: ([TranslatedMessage]) -> [TranslatedMessage] = { $0 }
    ) -> [TranslatedMessage] {
        let context = GenerationContext(snapshot: snapshot, inputs: inputs, settings: settings)
        return Self.unique(patched(generator.resources(for: context)))
    }

    /// The first resource of each name, sorted by name.
    private static func unique(_ messages: [TranslatedMessage]) -> [TranslatedMessage] {
        var seen = Set<String>()
        return messages.filter { seen.insert($0.name).inserted }.sorted { $0.name < $1.name }
    }
}

extension ProxyInputsIndex {
    /// The inputs of `proxy`'s generator of `typeURL`; nil for SDS (never cached) and unknown type URLs.
    public func inputs(of proxy: Proxy, typeURL: String) -> GeneratorInputs? {
        switch typeURL {
        case TypeURL.cluster: .cluster(clusterInputs(of: proxy))
        case TypeURL.endpoint: .endpoint(endpointInputs(of: proxy))
        case TypeURL.listener: .listener(listenerInputs(of: proxy))
        case TypeURL.route: .route(routeInputs(of: proxy))
        case TypeURL.extensionConfig: .extensionConfig(extensionConfigInputs(of: proxy))
        default: nil
        }
    }
}

extension TranslatedMessage {
    /// The message packed in an `Any`, as `generate` returns it.
    public var packed: TranslatedResource {
        TranslatedResource(name: name, resource: packAny(message), sources: sources)
    }
}
