import Foundation
import MeshTestSupport
import Testing

/// DestinationRule traffic policies through real Envoys (issue 3): consistent hashing keeps a key on one backend,
/// a connection pool's limits overflow into 503, and outlier detection ejects a failing endpoint.
@Suite(
    "DestinationRule traffic policies end to end (meshd + real Envoys)", .serialized, .trafficDestinationRuleMesh,
    .tags(.e2e))
struct TrafficDestinationRuleTests {
    /// A key of its own for every request group, so that backend counts never mix between tests.
    static func key(_ name: String) -> String { "\(name)-\(UUID().uuidString.prefix(8))" }

    @Test("consistentHash: every request with the same x-user reaches the same pod, and users spread over pods")
    func consistentHash() async throws {
        let mesh = try TrafficDestinationRuleMesh.require()
        let users = (0..<8).map { "user-\($0)" }
        let perUser = 8
        let run = Self.key("hash")
        var pods: [String: String] = [:]
        for user in users {
            let key = "\(run)-\(user)"
            let traffic = try await mesh.send(
                "hashed", headers: EchoControl.key(key).merging(["x-user": user]) { $1 }, count: perUser, maxSeconds: 15
            )
            #expect(traffic.ok == perUser, "\(user): \(traffic)")
            let counts = try mesh.counts(key)
            let reached = counts.filter { $0.value > 0 }
            #expect(reached.count == 1, "\(user)'s requests must all reach one pod, reached \(counts)")
            #expect(reached.first?.value == perUser, "\(user): \(counts)")
            pods[user] = reached.first?.key
        }
        let distinct = Set(pods.values)
        #expect(distinct.count >= 2, "8 users must not all hash to one of 3 pods: \(pods)")
        print(
            "TrafficDestinationRule consistentHash: \(users.count) users x \(perUser) requests; user -> pod \(pods.sorted { $0.key < $1.key })"
        )
    }

    @Test("connectionPool: requests beyond one connection and one pending request are refused with 503")
    func connectionPoolOverflow() async throws {
        let mesh = try TrafficDestinationRuleMesh.require()
        let overflowBefore = try mesh.clusterCounter("slow", "upstream_rq_pending_overflow")
        let key = Self.key("pool")
        // Eight concurrent slow requests: one holds the only connection for 2 s, one may wait, the rest overflow.
        let answers = try await withThrowingTaskGroup(of: CapturedTraffic.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await mesh.send(
                        "slow", headers: EchoControl.key(key).merging(EchoControl.delay(2)) { $1 }, count: 1,
                        maxSeconds: 10, perRequestTimeout: 10)
                }
            }
            var all: [CapturedResponse] = []
            for try await traffic in group { all += traffic.responses }
            return all
        }
        let statuses = answers.map(\.status)
        let overflowed = answers.filter { $0.status == 503 }
        #expect(answers.count == 8, "every request must be answered: \(statuses)")
        #expect(statuses.contains(200), "the request holding the connection must succeed: \(statuses)")
        #expect(overflowed.count >= 4, "at most one in flight and one pending; the others overflow: \(statuses)")
        for answer in overflowed {
            #expect(answer.headers.contains { $0.first == "x-envoy-overloaded" }, "an overflow 503 says so: \(answer)")
        }
        let overflowAfter = try mesh.clusterCounter("slow", "upstream_rq_pending_overflow")
        #expect(
            overflowAfter - overflowBefore == overflowed.count,
            "Envoy counted the overflows: \(overflowAfter - overflowBefore)")
        let served = try mesh.counts(key).values.reduce(0, +)
        #expect(served == statuses.filter { $0 == 200 }.count, "only admitted requests reach the backend")
        print(
            "TrafficDestinationRule connectionPool: 8 concurrent -> statuses \(statuses.sorted()), pending overflow \(overflowAfter - overflowBefore)"
        )
    }

    @Test("outlierDetection: the failing endpoint is ejected after one 5xx and traffic moves to the healthy one")
    func outlierEjection() async throws {
        let mesh = try TrafficDestinationRuleMesh.require()
        let key = Self.key("outlier")
        let count = 30
        let retriesBefore = try mesh.clusterCounter("flaky", "upstream_rq_retry")
        let traffic = try await mesh.send(
            "flaky", headers: EchoControl.key(key), count: count, capture: count, maxSeconds: 20)
        let statuses = traffic.responses.map(\.status)
        // Istio's default retry policy retries a 503 on another host, so the client sees every request succeed;
        // what ejection changes is how many attempts reach the bad endpoint.
        #expect(statuses.count == count && statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        // Every attempt that failed at the bad endpoint was retried once.
        let failedAttempts = try mesh.clusterCounter("flaky", "upstream_rq_retry") - retriesBefore
        // ROUND_ROBIN over the two endpoints sends one of the first two attempts to the bad one: its 503 ejects it
        // (consecutive5xxErrors: 1) for the 60 s base ejection time. Without ejection, half of the 30 would fail.
        #expect((1...2).contains(failedAttempts), "only the first attempt to the bad endpoint fails: \(failedAttempts)")
        let ejections = try mesh.clusterCounter("flaky", "outlier_detection.ejections_enforced_consecutive_5xx")
        let stats = mesh.clusterStats("flaky", ["ejections_active", "ejections_enforced_total", "upstream_rq_retry"])
        #expect(ejections >= 1, "Envoy ejected by consecutive 5xx: \(stats)")
        #expect(
            stats["cluster.\(TrafficDestinationRuleMesh.cluster("flaky")).outlier_detection.ejections_active"] == "1",
            "\(stats)")
        let healthy = try mesh.counts(key)["hash-1"] ?? 0
        #expect(healthy == count, "the healthy endpoint answered every request: \(healthy)")
        print(
            "TrafficDestinationRule outlierDetection: \(count) requests all 200 (retries), \(failedAttempts) failed attempt(s) at the bad endpoint before its ejection; \(stats)"
        )
    }
}
