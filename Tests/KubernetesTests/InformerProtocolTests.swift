import Foundation
import Logging
import MeshModel
import MeshTestSupport
import Registry
import Testing

/// The informer's list/watch rules against the fake API server: resume, 410 relist, start-up retry, missing CRDs
/// and chunked lists.
@Suite(.serialized) struct InformerProtocolTests {
    /// A dropped watch resumes from the last resourceVersion: changes made while it was down arrive, and no second
    /// LIST is made.
    @Test func droppedWatchResumesWithoutRelist() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.service("reviews"))
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port) { meshd in
                try await meshd.waitUntilReady()
                cluster.sendBookmarks()
                let watchesBefore = cluster.watchCount(kind: "Service")
                cluster.dropWatches()
                try cluster.apply(FakeObjects.service("ratings"))
                try await waitForKeys(meshd) { $0.contains("Service/default/ratings") }
                #expect(cluster.listCount(kind: "Service") == 1)
                #expect(cluster.watchCount(kind: "Service") > watchesBefore)
            }
        }
    }

    /// After compaction the resumed watch gets 410: meshd relists, notices the object deleted in the gap, keeps the
    /// others, and holds each object once.
    @Test func goneRelistsWithoutLosingOrDuplicating() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.service("reviews"))
        try cluster.apply(FakeObjects.service("ratings"))
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port) { meshd in
                try await meshd.waitUntilReady()
                #expect(
                    meshd.keys.filter { $0.hasPrefix("Service/") } == [
                        "Service/default/ratings", "Service/default/reviews",
                    ])
                // The gap: the watch is down while an object is deleted and another added, then history is lost.
                cluster.dropWatches()
                cluster.delete(kind: "Service", name: "ratings")
                try cluster.apply(FakeObjects.service("details"))
                cluster.compact()
                try await waitForKeys(meshd) { keys in
                    keys.filter { $0.hasPrefix("Service/") } == ["Service/default/details", "Service/default/reviews"]
                }
                #expect(cluster.listCount(kind: "Service") >= 2)
                #expect(meshd.store.diagnostics().isEmpty)
            }
        }
    }

    /// An API server that is down at start-up is retried; `/ready` stays false until every kind is listed.
    @Test func apiServerDownAtStartIsRetried() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.service("reviews"))
        let port = try await cluster.serving { $0 }
        try await KubernetesMeshd.with(apiPort: port) { meshd in
            try await Task.sleep(for: .milliseconds(800))
            #expect(!meshd.readiness.isReady)
            #expect(meshd.readiness.pending.contains { $0.contains("services") })
            try await cluster.serving(port: port) { _ in
                try await meshd.waitUntilReady()
                #expect(meshd.keys.contains("Service/default/reviews"))
            }
        }
    }

    /// A kind whose CRD is not installed gives one warning, counts as synced, and is picked up once installed.
    @Test func missingCRDWarnsAndRetries() async throws {
        let cluster = FakeKubernetes()
        cluster.setCRD("virtualservices.networking.istio.io", installed: false)
        try cluster.apply(FakeObjects.virtualService("reviews", host: "reviews", destination: "ratings"))
        let capture = CapturingLogHandler()
        let logger = Logger(label: "test", factory: { _ in capture })
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port, logger: logger) { meshd in
                try await meshd.waitUntilReady()
                #expect(!meshd.keys.contains("VirtualService/default/reviews"))
                try await Task.sleep(for: .seconds(1))
                #expect(capture.messages(.warning, containing: "virtualservices.networking.istio.io").count == 1)
                #expect(cluster.listCount(kind: "VirtualService") >= 2)
                cluster.setCRD("virtualservices.networking.istio.io", installed: true)
                try await waitForKeys(meshd) { $0.contains("VirtualService/default/reviews") }
            }
        }
    }

    /// An optional kind that RBAC does not grant (403) is like a missing CRD: one warning naming the ClusterRole rule,
    /// readiness is not held back, and the kind is read once the rule is granted. A required kind (Services) that
    /// answers 403 does hold readiness back.
    @Test func forbiddenOptionalKindsWarnOnceAndDoNotHoldReadiness() async throws {
        let cluster = FakeKubernetes()
        cluster.inject(.status(403), kind: "Secret")
        cluster.inject(.status(403), kind: "VirtualService")
        try cluster.apply(FakeObjects.virtualService("reviews", host: "reviews", destination: "ratings"))
        let capture = CapturingLogHandler()
        let logger = Logger(label: "test", factory: { _ in capture })
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port, logger: logger) { meshd in
                try await meshd.waitUntilReady()
                #expect(!meshd.keys.contains("VirtualService/default/reviews"))
                try await Task.sleep(for: .seconds(1))
                let secrets = capture.messages(.warning, containing: "secrets is forbidden")
                #expect(secrets.count == 1, "\(secrets)")
                #expect(secrets.first?.contains(#"apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"]"#) == true)
                #expect(capture.messages(.warning, containing: "virtualservices.networking.istio.io is forbidden").count == 1)
                cluster.inject(nil, kind: "VirtualService")
                try await waitForKeys(meshd) { $0.contains("VirtualService/default/reviews") }
            }
        }

        let required = FakeKubernetes()
        required.inject(.status(403), kind: "Service")
        try await required.serving { port in
            try await KubernetesMeshd.with(apiPort: port) { meshd in
                try await Task.sleep(for: .seconds(1))
                #expect(!meshd.readiness.isReady, "a forbidden Service list must hold readiness back")
            }
        }
    }

    /// A LIST larger than the page size is read with `continue` tokens and nothing is missed.
    @Test func chunkedListFollowsContinueTokens() async throws {
        let cluster = FakeKubernetes()
        for index in 0..<7 { try cluster.apply(FakeObjects.service("svc-\(index)", clusterIP: "10.96.1.\(index)")) }
        let options = {
            var options = KubernetesMeshd.fastOptions()
            options.pageSize = 3
            return options
        }()
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port, options: options) { meshd in
                try await meshd.waitUntilReady()
                #expect(meshd.keys.filter { $0.hasPrefix("Service/") }.count == 7)
                #expect(cluster.listCount(kind: "Service") == 1)
                #expect(cluster.continuedListCount(kind: "Service") == 2)
            }
        }
    }

    /// Namespaces feed the discovery scope (their labels) and stay out of the snapshot, with no "not used" warning;
    /// AuthorizationPolicies and Secrets are modelled and reach the store with no such warning either.
    @Test func namespacesStayOutOfTheSnapshotWithoutAWarning() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(FakeObjects.namespace("shop"))
        try cluster.apply(FakeObjects.authorizationPolicy("default"))
        try cluster.apply(FakeObjects.tlsSecret("gateway-cert"))
        let capture = CapturingLogHandler()
        let logger = Logger(label: "test", factory: { _ in capture })
        try await cluster.serving { port in
            try await KubernetesMeshd.with(apiPort: port, logger: logger) { meshd in
                try await meshd.waitUntilReady()
                try cluster.apply(FakeObjects.namespace("other"))
                try cluster.apply(FakeObjects.authorizationPolicy("other"))
                try await waitForKeys(meshd) { $0.contains("AuthorizationPolicy/default/other") }
                #expect(capture.messages(.warning, containing: "objects are watched").isEmpty)
                #expect(capture.messages(.warning, containing: "AuthorizationPolicy objects are watched").isEmpty)
                #expect(capture.messages(.warning, containing: "Secret objects are watched").isEmpty)
                #expect(meshd.keys.contains { $0.hasPrefix("Secret/") })
                #expect(!meshd.keys.contains { $0.hasPrefix("Namespace") })
            }
        }
    }

    func waitForKeys(_ meshd: KubernetesMeshd, _ condition: @escaping ([String]) -> Bool) async throws {
        _ = try await Poll.until("objects", timeout: .seconds(5), interval: .milliseconds(20)) {
            condition(meshd.keys) ? true : nil
        }
    }
}
