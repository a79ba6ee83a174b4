import EnvoyAPI
import GRPCCore
import GRPCNIOTransportHTTP2

/// A proxy that subscribes like the others and then never reads a response: its HTTP/2 stream window is never
/// replenished, so the server's writes to it stall. It exists to show that a stuck proxy does not delay the rest.
struct StalledProxy: Sendable {
    let node: Envoy_Config_Core_V3_Node
    let port: Int

    /// Runs until cancelled.
    func run() async {
        do {
            var config = HTTP2ClientTransport.Posix.Config.defaults
            config.http2.targetWindowSize = 65535
            let transport = try HTTP2ClientTransport.Posix(
                target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext, config: config)
            try await withGRPCClient(transport: transport) { client in
                let ads = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Client(wrapping: client)
                try await ads.streamAggregatedResources(
                    requestProducer: { writer in
                        var cds = Envoy_Service_Discovery_V3_DiscoveryRequest()
                        cds.typeURL = XDSKind.cluster.typeURL
                        cds.node = node
                        try await writer.write(cds)
                        var lds = Envoy_Service_Discovery_V3_DiscoveryRequest()
                        lds.typeURL = XDSKind.listener.typeURL
                        try await writer.write(lds)
                        var eds = Envoy_Service_Discovery_V3_DiscoveryRequest()
                        eds.typeURL = XDSKind.endpoint.typeURL
                        eds.resourceNames = ["outbound|9080||svc-0.ns-0.svc.cluster.local"]
                        try await writer.write(eds)
                        try await Task.sleep(for: .seconds(3600))
                    },
                    onResponse: { _ in
                        // Never touch the response stream.
                        try await Task.sleep(for: .seconds(3600))
                    })
            }
        } catch {
            return
        }
    }
}
