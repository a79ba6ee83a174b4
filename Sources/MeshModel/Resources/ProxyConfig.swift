/// Istio's ProxyConfig (`networking.istio.io` v1beta1): settings of the Envoy that runs beside a workload.
///
/// One in the root namespace without a selector is mesh-wide, one in another namespace without a selector is
/// namespace-wide, and one with `selector.matchLabels` applies to the workloads it selects. They are merged over the
/// mesh config's `defaultConfig` as istiod merges them (`MeshSnapshot.proxySettings(namespace:labels:)`).
public struct ProxyConfig: Sendable, Hashable {
    public var meta: ObjectMeta
    /// `selector.matchLabels`: nil when there is no `selector` (the namespace-wide level). An empty map is a selector
    /// without labels, which istiod applies to no workload.
    public var selector: [String: String]?
    public var settings: ProxySettings

    public init(meta: ObjectMeta, selector: [String: String]? = nil, settings: ProxySettings = ProxySettings()) {
        self.meta = meta
        self.selector = selector
        self.settings = settings
    }
}

/// The proxy settings meshd applies, from a ProxyConfig or from the mesh config's `defaultConfig` (Istio's
/// `meshconfig.ProxyConfig`). A nil or empty field is unset and leaves the less specific level's value in force.
public struct ProxySettings: Sendable, Hashable {
    /// `concurrency`: Envoy's worker threads; 0 lets Envoy decide (no `--concurrency` flag).
    public var concurrency: Int?
    /// `image.imageType`: the proxy image variant (`distroless`, `debug`, `default`), a suffix of the image tag.
    public var imageType: String?
    /// `environmentVariables` (a ProxyConfig) or `proxyMetadata` (`defaultConfig`): environment variables of the
    /// proxy container. `ISTIO_META_<KEY>` ones become node metadata `<KEY>`, as istio-agent makes them.
    public var environmentVariables: [String: String]
    /// `defaultConfig.tracing.sampling` (the mesh config only): the percentage of requests traced when no Telemetry
    /// sets `randomSamplingPercentage`.
    public var tracingSampling: Double?
    /// `defaultConfig.holdApplicationUntilProxyStarts` (the mesh config only): injected pods start their application
    /// containers only once the sidecar is ready.
    public var holdApplicationUntilProxyStarts: Bool?
    /// `defaultConfig.terminationDrainDuration` (the mesh config only): how long an injected sidecar stays up after
    /// its pod is told to stop; Istio's default is 5 s.
    public var terminationDrainDuration: Duration?

    public init(
        concurrency: Int? = nil, imageType: String? = nil, environmentVariables: [String: String] = [:],
        tracingSampling: Double? = nil
    ) {
        self.concurrency = concurrency
        self.imageType = imageType
        self.environmentVariables = environmentVariables
        self.tracingSampling = tracingSampling
    }

    /// istiod's defaults (`mesh.DefaultProxyConfig`): two worker threads.
    public static let istioDefaults = ProxySettings(concurrency: 2)

    /// These settings with `specific`'s set fields in force, as istiod's `mergeWithPrecedence`: concurrency and image
    /// are replaced whole, environment variables are merged by name.
    public func overridden(by specific: ProxySettings) -> ProxySettings {
        var merged = self
        if let concurrency = specific.concurrency { merged.concurrency = concurrency }
        if let imageType = specific.imageType { merged.imageType = imageType }
        merged.environmentVariables.merge(specific.environmentVariables) { _, new in new }
        if let sampling = specific.tracingSampling { merged.tracingSampling = sampling }
        if let hold = specific.holdApplicationUntilProxyStarts { merged.holdApplicationUntilProxyStarts = hold }
        if let drain = specific.terminationDrainDuration { merged.terminationDrainDuration = drain }
        return merged
    }

    /// Node metadata from `ISTIO_META_*` environment variables (the prefix removed), as istio-agent derives it.
    public var nodeMetadata: [String: String] {
        var metadata: [String: String] = [:]
        for (name, value) in environmentVariables where name.hasPrefix(Self.metadataPrefix) {
            let key = String(name.dropFirst(Self.metadataPrefix.count))
            if !key.isEmpty { metadata[key] = value }
        }
        return metadata
    }

    static let metadataPrefix = "ISTIO_META_"

    /// istio's image naming: the tag gets `-<imageType>` (a known variant suffix is replaced first); `default` (or no
    /// type) leaves the plain tag. An image without a tag gets `latest` first.
    public func image(from base: String) -> String {
        guard let imageType, !imageType.isEmpty else { return base }
        let slash = base.lastIndex(of: "/")
        var repository = base
        var tag = "latest"
        if let colon = base.lastIndex(of: ":"), slash.map({ colon > $0 }) ?? true {
            repository = String(base[..<colon])
            tag = String(base[base.index(after: colon)...])
        }
        for known in Self.knownImageTypes where tag.hasSuffix("-\(known)") {
            tag = String(tag.dropLast(known.count + 1))
            break
        }
        if imageType == "default" { return "\(repository):\(tag)" }
        return "\(repository):\(tag)-\(imageType)"
    }

    /// The image variants Istio publishes, whose suffix a new type replaces.
    static let knownImageTypes = ["distroless", "debug"]
}
