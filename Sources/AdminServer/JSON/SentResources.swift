import Discovery
import XDSServer

/// What connections were sent, per type, for the NACK explanations: each resource names the objects it came from.
///
/// Read before a response is built, so that building it stays synchronous. Until the ADS server's own record of
/// what each connection was sent can be read here, it holds the resources the provider serves the proxy now: the
/// same as the rejected response unless the configuration changed since (then the explanation names today's
/// sources of those resources).
struct SentResources: Sendable {
    private var byConnection: [UInt64: [XDSType: [XDSResource]]] = [:]

    static let none = SentResources()

    /// The resources of `type` connection `connection` was sent; empty when not known.
    func resources(connection: UInt64, type: XDSType) -> [XDSResource] {
        byConnection[connection]?[type] ?? []
    }

    /// For every connection with a NACK on record: the resources of each rejected type.
    static func rejected(_ context: AdminContext) async -> SentResources {
        var result = SentResources()
        for status in context.ads.status.all() {
            let types = XDSType.pushOrder.filter { status.types[$0]?.lastNack != nil }
            guard !types.isEmpty, let client = context.provider.connected.client(id: status.proxy) else { continue }
            for type in types {
                result.byConnection[status.connectionID, default: [:]][type] =
                    await context.provider.resources(type, for: client).resources
            }
        }
        return result
    }
}
