/// A static Envoy bootstrap with no control plane: `virtualOutbound` (15001) and `virtualInbound` (15006)
/// each forward TCP to the connection's original destination, as Istio's passthrough does. It lets the pod
/// harness be tested on its own, apart from anything meshd generates.
enum PassthroughBootstrap {
    static func json(nodeID: String) -> String {
        """
        {
          "node": {"id": "\(nodeID)", "cluster": "passthrough"},
          "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 15000}}},
          "static_resources": {
            "listeners": [\(listener("virtualOutbound", port: 15001, statPrefix: "outbound")),
                          \(listener("virtualInbound", port: 15006, statPrefix: "inbound"))],
            "clusters": [{
              "name": "PassthroughCluster",
              "type": "ORIGINAL_DST",
              "lb_policy": "CLUSTER_PROVIDED",
              "connect_timeout": "2s"
            }]
          }
        }
        """
    }

    private static func listener(_ name: String, port: Int, statPrefix: String) -> String {
        """
        {
          "name": "\(name)",
          "address": {"socket_address": {"address": "0.0.0.0", "port_value": \(port)}},
          "listener_filters": [{
            "name": "envoy.filters.listener.original_dst",
            "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst"}
          }],
          "filter_chains": [{
            "filters": [{
              "name": "envoy.filters.network.tcp_proxy",
              "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                "stat_prefix": "\(statPrefix)",
                "cluster": "PassthroughCluster"
              }
            }]
          }]
        }
        """
    }
}
