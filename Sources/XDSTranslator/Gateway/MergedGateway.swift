import MeshModel

/// The servers of every Gateway that selects one router proxy, merged per port as istiod's `MergeGateways` does:
/// plain HTTP servers on one port share the route configuration `http.<port>`; HTTPS and TLS servers on one port
/// each get their own filter chain, matched on SNI; a server whose protocol conflicts with the first server on
/// its port (HTTP next to HTTPS or TCP, or a second TCP server) is left out, as is a TLS server whose SNI hosts
/// repeat ones already served on its port (Envoy would refuse two chains with one match).
struct MergedGateway {
    /// One server with the Gateway it came from.
    struct Server {
        var gateway: Gateway
        var server: GatewayServer

        /// The route configuration an HTTP or TLS-terminating HTTPS server uses (istiod's `gatewayRDSRouteName`);
        /// nil for TCP, TLS and passthrough servers.
        var routeName: String? {
            let bind = server.bind.map { $0.isEmpty ? "" : ".\($0)" } ?? ""
            switch server.port.kind {
            case .http: return "http.\(server.port.number)\(bind)"
            case .https where !isPassthrough:
                return
                    "https.\(server.port.number).\(server.port.name).\(gateway.meta.name).\(gateway.meta.namespace)\(bind)"
            default: return nil
            }
        }

        var isPassthrough: Bool {
            guard let mode = server.tls?.mode else { return false }
            return mode == .passthrough || mode == .autoPassthrough
        }

        /// The SNI names of a TLS server: its hosts without namespace, sorted and unique (istiod's
        /// `getSNIHostsForServer`); empty for servers without TLS.
        var sniHosts: [String] {
            guard server.tls != nil else { return [] }
            return Array(Set(server.hosts.map { GatewayHosts.dnsName($0).lowercased() })).sorted()
        }
    }

    /// One listener: a bind address and port with the servers it serves, in merge order.
    struct Port {
        var bind: String
        var number: Int
        var kind: GatewayPort.Kind
        var servers: [Server]

        /// `<bind>_<port>`, as istiod names gateway listeners.
        var listenerName: String { "\(bind)_\(number)" }
    }

    /// Ports in the order first seen (Gateways by namespace then name, servers in order), at most one per
    /// bind and number.
    private(set) var ports: [Port] = []

    init(_ gateways: [Gateway]) {
        var usedSNI: [String: Set<String>] = [:]
        for gateway in gateways {
            for server in gateway.servers where server.port.kind != .unknown {
                let entry = Server(gateway: gateway, server: server)
                let bind = server.bind.flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0"
                guard let index = ports.firstIndex(where: { $0.bind == bind && $0.number == server.port.number })
                else {
                    ports.append(Port(bind: bind, number: server.port.number, kind: server.port.kind, servers: [entry]))
                    usedSNI["\(bind)_\(server.port.number)"] = Set(entry.sniHosts)
                    continue
                }
                let existing = ports[index].kind
                switch (existing, server.port.kind) {
                case (.http, .http):
                    ports[index].servers.append(entry)
                case (.https, .https), (.https, .tls), (.tls, .https), (.tls, .tls):
                    let key = "\(bind)_\(server.port.number)"
                    let sni = Set(entry.sniHosts)
                    guard usedSNI[key, default: []].isDisjoint(with: sni) else { continue }
                    usedSNI[key, default: []].formUnion(sni)
                    ports[index].servers.append(entry)
                default:
                    continue
                }
            }
        }
    }

    /// Every server that uses the route configuration `name`.
    func servers(routeName name: String) -> [Server] {
        ports.flatMap(\.servers).filter { $0.routeName == name }
    }

    /// Every route configuration name, sorted.
    var routeNames: [String] {
        Array(Set(ports.flatMap(\.servers).compactMap(\.routeName))).sorted()
    }
}

/// Inputs that carry a router's labels, which pick the Gateways that configure it.
protocol GatewaySelectingInputs: ProxyInputs {
    var gatewayLabels: [String: String]? { get }
}

extension ListenerInputs: GatewaySelectingInputs {}
extension RouteInputs: GatewaySelectingInputs {}
extension SecretInputs: GatewaySelectingInputs {}

extension GenerationContext where Inputs: GatewaySelectingInputs {
    /// The merged servers of the Gateways selecting this router, by the proxy's labels; none for a sidecar.
    var mergedGateway: MergedGateway {
        guard let labels = inputs.gatewayLabels else { return MergedGateway([]) }
        return MergedGateway(snapshot.gateways(selecting: labels))
    }
}
