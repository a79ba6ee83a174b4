public import MeshModel
internal import SwiftProtobuf

/// Turns a mesh snapshot into the Envoy resources one proxy should see.
///
/// Pure and thread-safe: no I/O, no locks, no shared mutable state. The same snapshot and proxy always give
/// the same resources in the same order, so callers can cache by content.
public struct XDSTranslator: Sendable {
    /// One generator per type URL (habit 6). A type URL without an entry yields no resources.
    let generators: [String: any ResourceGenerator]
    /// Mesh-wide settings (the mesh config's outbound traffic policy).
    public let settings: TranslatorSettings

    public init(settings: TranslatorSettings = TranslatorSettings()) {
        self.settings = settings
        _ = AnyTypeRegistry.registered
        generators = [
            TypeURL.cluster: ClusterGenerator(),
            TypeURL.endpoint: EndpointGenerator(),
            TypeURL.listener: ListenerGenerator(),
            TypeURL.route: RouteGenerator(),
            TypeURL.secret: SecretGenerator(),
        ]
    }

    /// All resources of `typeURL` for this proxy, sorted by name. Unknown type URL -> []. `secrets` is the proxy's
    /// own key material, served over SDS; the caller must only pass the secrets of the proxy's own identity.
    public func generate(typeURL: String, snapshot: MeshSnapshot, proxy: Proxy, secrets: ProxySecrets? = nil)
        -> [TranslatedResource]
    {
        generateMessages(typeURL: typeURL, snapshot: snapshot, proxy: proxy, secrets: secrets).map {
            TranslatedResource(name: $0.name, resource: packAny($0.message))
        }
    }

    /// The EDS resources `generate` gives for the clusters of `hostnames` only, sorted by name: after a change
    /// of those services' endpoints alone, the rest of the proxy's EDS is unchanged and need not be generated.
    public func generateEndpoints(snapshot: MeshSnapshot, proxy: Proxy, hostnames: Set<String>) -> [TranslatedResource] {
        var context = GenerationContext(snapshot: snapshot, proxy: proxy)
        context.sidecarScope = SidecarScope(context, settings: settings)
        var seen = Set<String>()
        return EndpointGenerator().resources(for: context, hostnames: hostnames)
            .filter { seen.insert($0.name).inserted }
            .sorted { $0.name < $1.name }
            .map { TranslatedResource(name: $0.name, resource: packAny($0.message)) }
    }

    /// The same resources as `generate`, as typed messages (sorted by name): for golden files and config dumps.
    public func generateMessages(typeURL: String, snapshot: MeshSnapshot, proxy: Proxy, secrets: ProxySecrets? = nil)
        -> [TranslatedMessage]
    {
        guard let generator = generators[typeURL] else { return [] }
        var context = GenerationContext(snapshot: snapshot, proxy: proxy, secrets: secrets)
        context.sidecarScope = SidecarScope(context, settings: settings)
        var seen = Set<String>()
        return generator.resources(for: context)
            .filter { seen.insert($0.name).inserted }
            .sorted { $0.name < $1.name }
    }
}
