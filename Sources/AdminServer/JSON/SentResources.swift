import Discovery
import MeshModel
import XDSServer

/// What connections were sent, per type, for the NACK explanations: each resource names the objects it came from,
/// and `location(of:)` says where each of those is written in the configuration as it is now.
///
/// Read before a response is built, so that building it stays synchronous. The resources are the ADS server's own
/// record of the response the proxy rejected (`XDSConnection.sent(_:).lastSent`); only when that record holds no
/// resources does it fall back to what the provider serves the proxy now.
struct SentResources: Sendable {
    private var byConnection: [UInt64: [XDSType: [XDSResource]]] = [:]
    /// The configuration served when the record was read: where the objects the resources name are written.
    private var objects: [ResourceKey: ConfigObject] = [:]

    static let none = SentResources()

    /// The file, document and line of `key` in the configuration now; nil when it is no longer there.
    func location(of key: ResourceKey) -> SourceLocation? { objects[key]?.source }

    /// The resources of `type` connection `connection` was sent; empty when not known.
    func resources(connection: UInt64, type: XDSType) -> [XDSResource] {
        byConnection[connection]?[type] ?? []
    }

    /// For every connection with a NACK on record: the resources of each rejected type.
    static func rejected(_ context: AdminContext) async -> SentResources {
        var result = SentResources()
        result.objects = context.provider.snapshot.objects
        for status in context.ads.status.all() {
            let types = XDSType.pushOrder.filter { status.types[$0]?.lastNack != nil }
            guard !types.isEmpty else { continue }
            let connection = context.ads.connections.connection(status.connectionID)
            for type in types {
                if let sent = connection?.sent(type)?.lastSent?.resources {
                    result.byConnection[status.connectionID, default: [:]][type] = sent
                } else if let client = context.provider.connected.client(id: status.proxy) {
                    result.byConnection[status.connectionID, default: [:]][type] =
                        await context.provider.resources(type, for: client).resources
                }
            }
        }
        return result
    }
}
