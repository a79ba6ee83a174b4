import Discovery
import Foundation
import MeshModel

/// `/debug/autoregistrationz`: every WorkloadEntry registered by a proxy that named a WorkloadGroup, with its
/// proxy, connections and, once disconnected, when the grace period removes it.
struct AutoRegistrationJSON: Encodable {
    var name: String
    var namespace: String
    var group: String
    var proxy: String
    var address: String
    var labels: [String: String]
    var annotations: [String: String]
    var serviceAccount: String?
    var network: String?
    var ports: [String: Int]
    var connections: Int
    var connectedAt: String
    var disconnectedAt: String?
    var removalAt: String?

    init(_ status: WorkloadAutoRegistration.Status) {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let entry = status.entry
        name = entry.meta.name
        namespace = entry.meta.namespace
        group = status.group
        proxy = status.proxyID
        address = entry.spec.address
        labels = entry.spec.labels
        annotations = entry.meta.annotations
        serviceAccount = entry.spec.serviceAccount
        network = entry.spec.network
        ports = entry.spec.ports
        connections = status.connections
        connectedAt = format.string(from: status.connectedAt)
        disconnectedAt = status.disconnectedAt.map(format.string(from:))
        removalAt = status.removalAt.map(format.string(from:))
    }
}
