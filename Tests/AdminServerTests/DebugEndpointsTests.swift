import Foundation
import MeshTestSupport
import Testing

/// The debug endpoints an operator reads by hand, against a running in-process meshd with `XDSClient` proxies.
@Suite("Debug endpoints (in-process meshd, XDSClient proxies)")
struct DebugEndpointsTests {
    @Test("registryz, connections, config_dump and push_status describe the mesh and the connected proxy")
    func endpointsDescribeTheMesh() async throws {
        try await InProcessMeshd.with(files: OpsConfig.files) { meshd in
            let proxy = OpsConfig.proxy("productpage-v1", ip: "10.44.0.5")
            try await withProxies([proxy], on: meshd) {
                try await meshd.waitUntilSynced([proxy.nodeID])

                // registryz: the service, its origin, and the endpoints its selector picked.
                let services = try #require(try await meshd.json("/debug/registryz") as? [[String: Any]])
                let reviews = try #require(
                    services.first { $0["hostname"] as? String == OpsConfig.reviewsFQDN }, "\(services)")
                #expect(reviews["origin"] as? String == "Service/default/reviews")
                #expect(reviews["addresses"] as? [String] == ["10.96.0.20"])
                let endpoints = try #require((reviews["endpoints"] as? [String: Any])?["9080"] as? [[String: Any]])
                #expect(Set(endpoints.compactMap { $0["address"] as? String }) == ["10.44.0.11", "10.44.0.12"])

                // connections: the proxy with its parsed identity.
                let connections = try #require(try await meshd.json("/debug/connections") as? [[String: Any]])
                let row = try #require(connections.first { $0["proxy"] as? String == proxy.nodeID }, "\(connections)")
                #expect(row["podName"] as? String == "productpage-v1")
                #expect(row["namespace"] as? String == "default")
                #expect(row["ipAddresses"] as? [String] == ["10.44.0.5"])

                // config_dump: what meshd generates for that proxy, per type, with Envoy JSON.
                let encoded = proxy.nodeID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? proxy.nodeID
                let dump = try #require(try await meshd.json("/debug/config_dump?proxyID=\(encoded)") as? [String: Any])
                let types = try #require(dump["types"] as? [String: Any])
                let clusters = try #require((types["cds"] as? [String: Any])?["resources"] as? [[String: Any]])
                let names = Set(clusters.compactMap { $0["name"] as? String })
                #expect(names.isSuperset(of: OpsConfig.reviewsClusters), "\(names)")
                let subsetCluster = try #require(
                    clusters.first { $0["name"] as? String == OpsConfig.reviewsClusters[1] })
                #expect(
                    (subsetCluster["resource"] as? [String: Any])?["name"] as? String == OpsConfig.reviewsClusters[1])
                #expect((types["rds"] as? [String: Any])?["version"] as? String != nil)

                // An unknown proxy is a 404, a missing parameter a 400.
                #expect(try await meshd.get("/debug/config_dump?proxyID=nope").status == 404)
                #expect(try await meshd.get("/debug/config_dump").status == 400)

                // push_status: the current generation, one connected proxy, the latest change, no NACKs.
                let status = try #require(try await meshd.json("/debug/push_status") as? [String: Any])
                #expect(status["connectedProxies"] as? Int == 1)
                #expect((status["generation"] as? Int ?? 0) >= 1)
                #expect((status["nacks"] as? [Any])?.isEmpty == true, "\(status)")
                #expect((status["latestChange"] as? [String: Any])?["id"] as? Int == status["generation"] as? Int)
            }
        }
    }
}
