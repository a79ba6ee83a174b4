import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// LDS for a proxyless gRPC client, as istiod's `grpc` generator answers it: one `ApiListener` per service port,
/// named `host:port` as the client writes its `xds:///host:port` target, holding an HttpConnectionManager that takes
/// its routes over RDS (`outbound|<port>||<fqdn>`) and runs only the router filter (gRFC A27, A39).
///
/// Every name a client in the proxy's namespace may write is a listener of its own (the FQDN; for Kubernetes services
/// `name.ns` and `name.ns.svc`, and the short name in the service's own namespace): a client subscribes to exactly
/// the names it uses, and the server sends only those (`XDSType.listener` is not wildcard for these clients).
enum GRPCListeners {
    static func resources(for context: GenerationContext<ListenerInputs>) -> [TranslatedMessage] {
        var result: [TranslatedMessage] = []
        for service in context.visibleServices {
            for port in service.ports.sorted(by: { $0.port < $1.port }) {
                let routeName = ClusterName.outbound(port: port.port, hostname: service.hostname)
                for host in hostNames(for: service, proxyNamespace: context.inputs.namespace) {
                    let listener = listener(
                        named: "\(host):\(port.port)", address: service.addresses.sorted().first ?? "0.0.0.0",
                        port: port.port, routeName: routeName)
                    result.append(TranslatedMessage(name: listener.name, message: listener, sources: [service.origin]))
                }
            }
        }
        return result
    }

    /// The names of a service a client in `proxyNamespace` may target: the FQDN, then for Kubernetes services
    /// `name.ns.svc`, `name.ns`, and the bare name from the service's own namespace (where it resolves).
    static func hostNames(for service: MeshService, proxyNamespace: String) -> [String] {
        var names = [service.hostname]
        if let shortName = service.shortName {
            names.append("\(shortName).\(service.namespace).svc")
            names.append("\(shortName).\(service.namespace)")
            if service.namespace == proxyNamespace { names.append(shortName) }
        }
        return names
    }

    static func listener(
        named name: String, address: String, port: Int, routeName: String
    )
        -> Envoy_Config_Listener_V3_Listener
    {
        var rds = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_Rds()
        rds.configSource = ProtoValues.ads
        rds.routeConfigName = routeName
        var manager = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager()
        manager.rds = rds
        manager.httpFilters = [routerFilter]
        var apiListener = Envoy_Config_Listener_V3_ApiListener()
        apiListener.apiListener = packAny(manager)
        var listener = Envoy_Config_Listener_V3_Listener()
        listener.name = name
        listener.address = ProtoValues.socketAddress(address, port: port)
        listener.apiListener = apiListener
        return listener
    }

    /// The router, which gRPC requires as the last (here the only) HTTP filter.
    static var routerFilter: Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter {
        var filter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        filter.name = "envoy.filters.http.router"
        filter.typedConfig = packAny(Envoy_Extensions_Filters_Http_Router_V3_Router())
        return filter
    }
}
