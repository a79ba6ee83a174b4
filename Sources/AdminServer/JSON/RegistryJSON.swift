import MeshModel

/// `/debug/registryz`: every service meshd knows, with its ports and endpoints per port.
struct RegistryServiceJSON: Encodable {
    struct Port: Encodable {
        var name: String
        var port: Int
        var `protocol`: String
    }

    struct Endpoint: Encodable {
        var address: String
        var port: Int
        var labels: [String: String]
        var serviceAccount: String?
        var locality: String?
        var weight: Int?
        var origin: String
    }

    var hostname: String
    var namespace: String
    var origin: String
    var addresses: [String]
    var resolution: String
    var meshExternal: Bool
    var ports: [Port]
    /// Service port number (as text) -> endpoints.
    var endpoints: [String: [Endpoint]]

    init(_ service: MeshService, snapshot: MeshSnapshot) {
        hostname = service.hostname
        namespace = service.namespace
        origin = service.origin.description
        addresses = service.addresses
        resolution = service.resolution.rawValue
        meshExternal = service.meshExternal
        ports = service.ports.map { Port(name: $0.name, port: $0.port, protocol: $0.protocol.rawValue) }
        var endpoints: [String: [Endpoint]] = [:]
        for port in service.ports {
            endpoints[String(port.port)] = snapshot.endpoints(hostname: service.hostname, port: port.port).map {
                Endpoint(
                    address: $0.address, port: $0.port, labels: $0.labels, serviceAccount: $0.serviceAccount,
                    locality: $0.locality,
                    weight: $0.weight, origin: $0.origin.description)
            }
        }
        self.endpoints = endpoints
    }
}
