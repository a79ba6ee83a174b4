import MeshModel

/// The keys generators name as the sources of what they build (`TranslatedMessage.sources`).
extension ResourceKey {
    init(_ kind: ResourceKind, _ meta: ObjectMeta) {
        self.init(kind: kind, namespace: meta.namespace, name: meta.name)
    }
}

extension DestinationRule {
    var sourceKey: ResourceKey { ResourceKey(.destinationRule, meta) }
}

extension VirtualService {
    var sourceKey: ResourceKey { ResourceKey(.virtualService, meta) }
}

extension Gateway {
    var sourceKey: ResourceKey { ResourceKey(.gateway, meta) }
}

extension AuthorizationPolicy {
    var sourceKey: ResourceKey { ResourceKey(.authorizationPolicy, meta) }
}

extension RequestAuthentication {
    var sourceKey: ResourceKey { ResourceKey(.requestAuthentication, meta) }
}

extension Telemetry {
    var sourceKey: ResourceKey { ResourceKey(.telemetry, meta) }
}

extension PeerAuthentication {
    var sourceKey: ResourceKey { ResourceKey(.peerAuthentication, meta) }
}

extension MeshEndpoint {
    /// At most this many endpoints are named as the sources of one assignment or DNS cluster: enough to find the
    /// object behind a bad address, without lists of thousands.
    static let namedAsSources = 20
}
