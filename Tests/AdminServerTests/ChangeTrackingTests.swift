import Foundation
import MeshTestSupport
import Testing

/// `/debug/changes` against a running in-process meshd with `XDSClient` proxies.
@Suite("Change tracking (in-process meshd, XDSClient proxies)")
struct ChangeTrackingTests {
    @Test(
        "a VirtualService edit that every proxy ACKs shows 'converged on 2 of 2' with a time, naming the object and file"
    )
    func convergedChange() async throws {
        try await InProcessMeshd.with(files: OpsConfig.files) { meshd in
            let proxies = [
                OpsConfig.proxy("productpage-v1", ip: "10.44.0.5"), OpsConfig.proxy("details-v1", ip: "10.44.0.6"),
            ]
            try await withProxies(proxies, on: meshd) {
                try await meshd.waitUntilSynced(proxies.map(\.nodeID))
                let before = try await #require(meshd.changes().first?["id"] as? Int)

                try meshd.write("vs.yaml", OpsConfig.virtualService(to: "v2"))
                let change = try await Poll.until("the VirtualService change to converge", timeout: .seconds(20)) {
                    () -> [String: Any]? in
                    guard let latest = try await meshd.changes().first, (latest["id"] as? Int ?? 0) > before,
                        let summary = latest["summary"] as? [String: Any], summary["converged"] as? Bool == true
                    else { return nil }
                    return latest
                }
                let summary = try #require(change["summary"] as? [String: Any])
                #expect(summary["text"] as? String == "converged on 2 of 2", "\(summary)")
                #expect(summary["affected"] as? Int == 2)
                #expect(summary["acknowledged"] as? Int == 2)
                #expect((summary["stragglers"] as? [String])?.isEmpty == true, "\(summary)")
                let time = try #require(summary["timeToLastAckMs"] as? Double, "no time to the last ACK: \(summary)")
                #expect(time > 0)

                let objects = try #require(change["objects"] as? [[String: Any]])
                #expect(objects.count == 1, "\(objects)")
                #expect(objects.first?["key"] as? String == "VirtualService/default/reviews")
                #expect(objects.first?["action"] as? String == "updated")
                #expect(
                    (objects.first?["source"] as? String)?.hasPrefix(meshd.path("vs.yaml") + ":1") == true, "\(objects)"
                )

                let rows = try #require(change["proxies"] as? [[String: Any]])
                #expect(Set(rows.compactMap { $0["proxy"] as? String }) == Set(proxies.map(\.nodeID)))
                for row in rows {
                    #expect(row["state"] as? String == "acknowledged", "\(row)")
                    let acked = try #require(row["ackedAfterMs"] as? Double, "\(row)")
                    #expect(acked <= time + 0.001, "a proxy ACKed after the change's time to last ACK: \(row)")
                }
            }
        }
    }
}
