import Discovery
import EnvoyAPI
import MeshModel
import Testing
import XDSServer

/// Views hold what the generators read and nothing more: proxies that differ in something the translator
/// ignores share one generation; proxies that differ in something it reads do not.
@Suite("Push engine: proxy views")
struct PushViewTests {
    /// Services `reviews` and `ratings` (HTTP on 9080) and `billing` (gRPC on 9080), one pod each.
    func mesh() -> MeshSnapshot {
        var yaml = ""
        for (service, portName, ip) in [
            ("reviews", "http", "10.0.0.1"), ("ratings", "http", "10.0.0.2"), ("billing", "grpc", "10.0.0.3"),
        ] {
            yaml += """
                apiVersion: v1
                kind: Service
                metadata: {name: \(service), namespace: bookinfo}
                spec:
                  selector: {app: \(service)}
                  ports: [{name: \(portName), port: 9080, targetPort: 9080}]
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: \(service)-1, namespace: bookinfo, labels: {app: \(service)}}
                spec: {containers: [{name: app, ports: [{containerPort: 9080}]}]}
                status: {podIP: \(ip)}
                ---

                """
        }
        return MeshSnapshot.build(from: ConfigDecoder.decode(yaml: yaml, file: "mesh.yaml").objects)
    }

    @Test func workloadsOfDifferentServicesOnTheSamePortsShareCDS() async throws {
        let provider = MeshResourceProvider(snapshot: mesh())
        let reviews = try sidecar("10.0.0.1", pod: "reviews-1")
        let ratings = try sidecar("10.0.0.2", pod: "ratings-1")
        let first = await provider.resources(.cluster, for: reviews)
        let cached = provider.cachedSets
        let second = await provider.resources(.cluster, for: ratings)
        #expect(provider.cachedSets == cached, "the inbound side reads the port and protocol, not the service's name")
        #expect(first.resources == second.resources)
        #expect(first.resources.map(\.name).contains("inbound|9080||"))
    }

    @Test func aDifferentInboundProtocolOnTheSamePortIsADifferentView() async throws {
        let provider = MeshResourceProvider(snapshot: mesh())
        let reviews = try sidecar("10.0.0.1", pod: "reviews-1")
        let billing = try sidecar("10.0.0.3", pod: "billing-1")
        let http = await provider.resources(.cluster, for: reviews)
        let cached = provider.cachedSets
        let grpc = await provider.resources(.cluster, for: billing)
        #expect(provider.cachedSets == cached + 1)
        let httpInbound = try #require(http.resources.first { $0.name == "inbound|9080||" })
        let grpcInbound = try #require(grpc.resources.first { $0.name == "inbound|9080||" })
        #expect(httpInbound.version != grpcInbound.version, "gRPC inbound clusters speak HTTP/2 upstream")
    }
}
