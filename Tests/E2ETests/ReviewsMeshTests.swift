import MeshTestSupport
import Testing

/// Istio's reviews example through real Envoys: meshd's routes, clusters and endpoints decide which backend pod
/// answers a real HTTP request sent by a client pod to the Service VIP.
///
/// Path of every request: client app → iptables → client Envoy (15001, `virtualOutbound`) → route `9080` →
/// cluster `outbound|9080|<subset>|reviews.default.svc.cluster.local` → backend pod IP:9080 → iptables → backend
/// Envoy (15006, `virtualInbound`) → cluster `inbound|9080||` → echo app.
///
/// The checks themselves are in `ReviewsMesh+Checks.swift`; the Envoy version matrix runs them too.
@Suite("Reviews mesh end to end (meshd + real Envoys)", .serialized, .reviewsMesh, .tags(.e2e))
struct ReviewsMeshTests {
    @Test("a uri prefix match and a header match send requests to the subset the VirtualService names")
    func matchRouting() async throws {
        try await ReviewsMesh.require().checkMatchRouting()
    }

    @Test("an 80/20 weighted route splits 500 requests within statistical tolerance")
    func weightedSplit() async throws {
        try await ReviewsMesh.require().checkWeightedSplit(requests: 500)
    }
}
