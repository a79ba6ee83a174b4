import CertificateAuthority
import Foundation
import Injection
import Logging
import MeshModel
import MeshTestSupport
import ServiceLifecycle
import Testing
import Synchronization
@testable import Webhooks

/// The webhook port over real HTTPS: curl verifies meshd's serving certificate against the mesh root under the name
/// the API server uses for `istiod.istio-system` (`--resolve` maps it to 127.0.0.1), and posts AdmissionReviews as
/// the API server sends them.
@Suite(.serialized) struct WebhookServerTests {
    static let logger = Logger(label: "webhook-test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A running webhook server on a free port with a CA in a temporary directory.
    struct Running {
        var port: Int
        var rootFile: String
        var directory: URL
        var ca: CertificateAuthority

        /// POSTs `review` to `path` and returns the HTTP status and the body.
        func post(_ path: String, _ review: JSONValue) throws -> (status: Int, body: JSONValue?) {
            let file = directory.appendingPathComponent("review-\(UUID().uuidString).json")
            try review.encoded().write(to: file)
            let marker = "\n--status:"
            let result = try Subprocess.run(
                [
                    "curl", "-sS", "--noproxy", "*", "--max-time", "10", "--cacert", rootFile, "--resolve",
                    "istiod.istio-system.svc:\(port):127.0.0.1", "-H", "Content-Type: application/json",
                    "--data-binary", "@\(file.path)", "-w", "\(marker)%{http_code}",
                    "https://istiod.istio-system.svc:\(port)\(path)",
                ], timeout: .seconds(20))
            guard let range = result.stdout.range(of: marker, options: .backwards) else {
                throw HarnessError("curl printed no status (exit \(result.status)): \(result.stderr)")
            }
            let status = Int(result.stdout[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            let body = String(result.stdout[..<range.lowerBound])
            return (status, try? JSONValue.decode(Data(body.utf8)))
        }
    }

    static func withServer(
        config: InjectorConfig = InjectorConfig(), meshConfig: MeshConfig? = nil,
        _ body: (Running) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ca = try CertificateAuthority.load(
            stateDirectory: directory.appendingPathComponent("ca").path, pluginDirectory: nil, options: CAOptions())
        let rootFile = directory.appendingPathComponent("root-cert.pem")
        try Data(ca.trustBundlePEM.utf8).write(to: rootFile)
        let bound = PortBox()
        let server = try WebhookServer(
            host: "127.0.0.1", port: 0, ca: ca,
            injection: InjectionWebhook(config: config, mesh: { MeshSnapshot.build(from: []) }),
            validation: ValidationWebhook(meshConfig: { meshConfig }), logger: logger,
            onListening: { bound.set($0) })
        let group = ServiceGroup(services: [server], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try await bound.wait()
            try await body(Running(port: port, rootFile: rootFile.path, directory: directory, ca: ca))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    static func review(
        uid: String = UUID().uuidString, kind: (group: String, version: String, kind: String),
        namespace: String = "default", operation: String = "CREATE", object: JSONValue?
    ) -> JSONValue {
        var request: [String: JSONValue] = [
            "uid": .string(uid),
            "kind": .object(["group": .string(kind.group), "version": .string(kind.version), "kind": .string(kind.kind)]),
            "resource": .object(["group": .string(kind.group), "version": .string(kind.version), "resource": .string(kind.kind.lowercased() + "s")]),
            "namespace": .string(namespace), "operation": .string(operation),
            "userInfo": .object(["username": .string("kubernetes-admin")]), "dryRun": .bool(false),
        ]
        request["object"] = object ?? .null
        return .object([
            "apiVersion": .string("admission.k8s.io/v1"), "kind": .string("AdmissionReview"), "request": .object(request),
        ])
    }

    static func pod(labels: [String: String] = ["app": "reviews"], annotations: [String: String] = [:]) -> JSONValue {
        var metadata: [String: JSONValue] = ["generateName": .string("reviews-"), "namespace": .string("default")]
        metadata["labels"] = .object(labels.mapValues(JSONValue.string))
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations.mapValues(JSONValue.string)) }
        return .object([
            "apiVersion": .string("v1"), "kind": .string("Pod"), "metadata": .object(metadata),
            "spec": .object([
                "serviceAccountName": .string("bookinfo-reviews"),
                "containers": .array([
                    .object([
                        "name": .string("reviews"), "image": .string("docker.io/istio/examples-bookinfo-reviews-v1:1.20.3"),
                        "ports": .array([.object(["containerPort": .int(9080)])]),
                    ])
                ]),
            ]),
        ])
    }

    /// The response member of a review answer, after checking the envelope the API server requires.
    static func response(_ answer: (status: Int, body: JSONValue?), uid: String) throws -> JSONValue {
        #expect(answer.status == 200)
        let body = try #require(answer.body)
        #expect(body["apiVersion"]?.stringValue == "admission.k8s.io/v1")
        #expect(body["kind"]?.stringValue == "AdmissionReview")
        let response = try #require(body["response"])
        #expect(response["uid"]?.stringValue == uid)
        return response
    }

    static func patch(of response: JSONValue) throws -> [JSONValue] {
        #expect(response["patchType"]?.stringValue == "JSONPatch")
        let encoded = try #require(response["patch"]?.stringValue)
        let data = try #require(Data(base64Encoded: encoded))
        guard case .array(let operations) = try JSONValue.decode(data) else {
            throw HarnessError("the patch is not a JSON array")
        }
        return operations
    }

    static func containers(_ pod: JSONValue, _ list: String) -> [String] {
        guard case .array(let items)? = pod["spec"]?[list] else { return [] }
        return items.compactMap { $0["name"]?.stringValue }
    }

    @Test func injectAnswersWithAPatchThatAddsTheSidecar() async throws {
        try await Self.withServer { server in
            let uid = "b7c1a3e0-inject-1"
            let pod = Self.pod()
            let response = try Self.response(
                try server.post("/inject", Self.review(uid: uid, kind: ("", "v1", "Pod"), object: pod)), uid: uid)
            #expect(response["allowed"] == .bool(true))
            let injected = try JSONPatchApplier.apply(try Self.patch(of: response), to: pod)
            #expect(Self.containers(injected, "initContainers") == ["istio-init", "istio-proxy"])
            #expect(Self.containers(injected, "containers") == ["reviews"])
            let annotations = try #require(injected["metadata"]?["annotations"])
            let status = try #require(annotations["sidecar.istio.io/status"]?.stringValue)
            let decoded = try JSONValue.decode(Data(status.utf8))
            #expect(decoded["initContainers"] == .array([.string("istio-init"), .string("istio-proxy")]))
            #expect(injected["metadata"]?["labels"]?["security.istio.io/tlsMode"]?.stringValue == "istio")

            // The same as `meshd inject` makes of the same pod, from the same code.
            let direct = try #require(
                try PodTemplateInjection(settings: InjectSettings()).inject(NodeJSON.node(pod), namespace: "default"))
            #expect(try NodeJSON.json(direct.pod) == injected)

            // Idempotent: the injected pod sent again gets no patch.
            let again = try Self.response(
                try server.post("/inject", Self.review(uid: "again", kind: ("", "v1", "Pod"), object: injected)),
                uid: "again")
            #expect(again["allowed"] == .bool(true))
            #expect(again["patch"] == nil)
        }
    }

    @Test func podsThatOptOutOrAreNotSelectedGetNoPatch() async throws {
        var config = InjectorConfig()
        config.policy.neverInjectSelector = [LabelSelector(matchLabels: ["batch": "true"])]
        try await Self.withServer(config: config) { server in
            for (name, pod, namespace) in [
                ("label false", Self.pod(labels: ["app": "a", "sidecar.istio.io/inject": "false"]), "default"),
                ("annotation false", Self.pod(annotations: ["sidecar.istio.io/inject": "false"]), "default"),
                ("never selector", Self.pod(labels: ["app": "a", "batch": "true"]), "default"),
                ("kube-system", Self.pod(), "kube-system"),
            ] {
                let response = try Self.response(
                    try server.post("/inject", Self.review(uid: name, kind: ("", "v1", "Pod"), namespace: namespace, object: pod)),
                    uid: name)
                #expect(response["allowed"] == .bool(true), "\(name)")
                #expect(response["patch"] == nil, "\(name) was patched")
            }
        }
    }

    @Test func aDisabledPolicyInjectsOnlyPodsThatAskForIt() async throws {
        var config = InjectorConfig()
        config.policy.policy = .disabled
        config.policy.alwaysInjectSelector = [LabelSelector(matchLabels: ["mesh": "always"])]
        try await Self.withServer(config: config) { server in
            let plain = try Self.response(
                try server.post("/inject", Self.review(uid: "plain", kind: ("", "v1", "Pod"), object: Self.pod())), uid: "plain")
            #expect(plain["patch"] == nil)
            for (name, pod) in [
                ("asked", Self.pod(labels: ["app": "a", "sidecar.istio.io/inject": "true"])),
                ("always", Self.pod(labels: ["app": "a", "mesh": "always"])),
            ] {
                let response = try Self.response(
                    try server.post("/inject", Self.review(uid: name, kind: ("", "v1", "Pod"), object: pod)), uid: name)
                #expect(!(try Self.patch(of: response)).isEmpty, "\(name) was not injected")
            }
        }
    }

    @Test func annotationsShapeTheSidecarAndBadOnesAreRefusedByName() async throws {
        try await Self.withServer { server in
            let pod = Self.pod(annotations: [
                "sidecar.istio.io/proxyCPU": "250m", "sidecar.istio.io/proxyMemoryLimit": "512Mi",
                "traffic.sidecar.istio.io/excludeOutboundPorts": "5432,6379",
                "traffic.sidecar.istio.io/includeOutboundIPRanges": "10.96.0.0/12",
                "sidecar.istio.io/madeUp": "x",
            ])
            let response = try Self.response(
                try server.post("/inject", Self.review(uid: "shaped", kind: ("", "v1", "Pod"), object: pod)), uid: "shaped")
            let injected = try JSONPatchApplier.apply(try Self.patch(of: response), to: pod)
            guard case .array(let initContainers)? = injected["spec"]?["initContainers"] else {
                Issue.record("no initContainers")
                return
            }
            let proxy = try #require(initContainers.first { $0["name"]?.stringValue == "istio-proxy" })
            #expect(proxy["resources"]?["requests"]?["cpu"]?.stringValue == "250m")
            #expect(proxy["resources"]?["limits"]?["memory"]?.stringValue == "512Mi")
            #expect(proxy["readinessProbe"]?["httpGet"]?["port"] == .int(15021))
            #expect(proxy["startupProbe"]?["httpGet"]?["path"]?.stringValue == "/healthz/ready")
            let script = try #require(initContainers.first?["args"].flatMap { if case .array(let a) = $0 { a.first } else { nil } }?.stringValue)
            #expect(script.contains("-A ISTIO_OUTPUT -p tcp --dport 5432 -j RETURN"))
            #expect(script.contains("-A ISTIO_OUTPUT -d 10.96.0.0/12 -j ISTIO_REDIRECT"))
            #expect(!script.contains("-A ISTIO_OUTPUT -j ISTIO_REDIRECT"))
            guard case .array(let warnings)? = response["warnings"] else {
                Issue.record("no warnings for an unknown annotation")
                return
            }
            #expect(warnings.contains { $0.stringValue?.contains("sidecar.istio.io/madeUp") == true })

            let bad = Self.pod(annotations: ["sidecar.istio.io/proxyCPU": "lots"])
            let refused = try Self.response(
                try server.post("/inject", Self.review(uid: "bad", kind: ("", "v1", "Pod"), object: bad)), uid: "bad")
            #expect(refused["allowed"] == .bool(false))
            #expect(refused["status"]?["code"] == .int(400))
            let message = try #require(refused["status"]?["message"]?.stringValue)
            #expect(message.contains("annotation sidecar.istio.io/proxyCPU"), "\(message)")
            #expect(message.contains("is not a resource quantity"), "\(message)")
        }
    }

    @Test func validateRefusesWhatMeshdValidateRefusesWithItsMessage() async throws {
        try await Self.withServer { server in
            let invalid: JSONValue = .object([
                "apiVersion": .string("networking.istio.io/v1"), "kind": .string("VirtualService"),
                "metadata": .object(["name": .string("reviews"), "namespace": .string("default")]),
                "spec": .object([
                    "hosts": .array([.string("reviews")]),
                    "http": .array([
                        .object([
                            "route": .array([
                                .object(["destination": .object(["host": .string("reviews")]), "weight": .int(-5)])
                            ])
                        ])
                    ]),
                ]),
            ])
            let yaml = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews, namespace: default}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n      weight: -5\n"
            let expected = ConfigDecoder.decode(yaml: yaml, file: "x.yaml").errors
            #expect(!expected.isEmpty)
            let response = try Self.response(
                try server.post(
                    "/validate",
                    Self.review(uid: "vs", kind: ("networking.istio.io", "v1", "VirtualService"), object: invalid)),
                uid: "vs")
            #expect(response["allowed"] == .bool(false))
            let message = try #require(response["status"]?["message"]?.stringValue)
            #expect(message.hasPrefix("configuration is invalid: "))
            for error in expected {
                #expect(message.contains(error.reason), "\(message) lacks \(error.reason)")
                #expect(message.contains(error.fieldPath), "\(message) lacks \(error.fieldPath)")
            }

            var valid = invalid
            if case .object(var members) = valid, case .object(var spec)? = members["spec"] {
                spec["http"] = .array([.object(["route": .array([.object(["destination": .object(["host": .string("reviews")])])])])])
                members["spec"] = .object(spec)
                valid = .object(members)
            }
            let accepted = try Self.response(
                try server.post(
                    "/validate",
                    Self.review(uid: "ok", kind: ("networking.istio.io", "v1", "VirtualService"), object: valid)),
                uid: "ok")
            #expect(accepted["allowed"] == .bool(true))

            let deleted = try Self.response(
                try server.post(
                    "/validate",
                    Self.review(
                        uid: "del", kind: ("networking.istio.io", "v1", "VirtualService"), operation: "DELETE",
                        object: nil)),
                uid: "del")
            #expect(deleted["allowed"] == .bool(true))
        }
    }

    @Test func aBodyThatIsNotAnAdmissionReviewIsABadRequest() async throws {
        try await Self.withServer { server in
            let answer = try server.post("/validate", .object(["kind": .string("Pod")]))
            #expect(answer.status == 400)
        }
    }

    @Test func theServingCertificateIsRenewedBeforeItExpires() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let ca = try CertificateAuthority.load(stateDirectory: directory.path, pluginDirectory: nil, options: CAOptions())
        let certificate = try RenewingServingCertificate(ca: ca, dnsNames: WebhookServer.defaultDNSNames)
        let first = certificate.current()
        #expect(certificate.current().chain == first.chain)
        // Past half of its lifetime, the next handshake gets a new certificate, and keeps it.
        let halfway = Date().addingTimeInterval(first.notAfter.timeIntervalSinceNow / 2 + 1)
        let renewed = certificate.current(now: halfway)
        #expect(renewed.chain != first.chain)
        #expect(certificate.current(now: halfway).chain == renewed.chain)
    }
}

/// The port a server reports once it is bound.
final class PortBox: Sendable {
    private let value = Mutex<Int?>(nil)
    func set(_ port: Int) { value.withLock { $0 = port } }
    func wait() async throws -> Int {
        for _ in 0..<500 {
            if let port = value.withLock({ $0 }) { return port }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("the webhook server did not bind within 10 s")
    }
}
