import CertificateAuthority
import Foundation
import Injection
import Logging
import MeshModel
import MeshTestSupport
import ServiceLifecycle
import Synchronization
import Testing

@testable import Webhooks

/// The fake API server calls meshd's webhooks as kube-apiserver does, through the webhook configurations meshd
/// ships (`Deploy/kubernetes/70-webhooks.yaml`, with the root as caBundle): a Pod created in an
/// `istio-injection=enabled` namespace is stored injected, and an invalid VirtualService is refused with meshd's
/// message.
@Suite(.serialized) struct FakeAPIServerAdmissionTests {
    static let logger = Logger(label: "admission-test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The fake API server with the shipped webhook configurations, routed to a running webhook server.
    static func withCluster(caBundle: Bool = true, _ body: @Sendable (FakeKubernetes, Int) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("admission-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let ca = try CertificateAuthority.load(stateDirectory: directory.path, pluginDirectory: nil, options: CAOptions())
        let bound = PortBox()
        let server = try WebhookServer(
            host: "127.0.0.1", port: 0, ca: ca,
            injection: InjectionWebhook(config: InjectorConfig(), mesh: { MeshSnapshot.build(from: []) }),
            validation: ValidationWebhook(), logger: logger, onListening: { bound.set($0) })
        let fake = FakeKubernetes()
        let bundle = caBundle ? Data(ca.trustBundlePEM.utf8).base64EncodedString() : nil
        let configurations = try ShippedWebhooks.configurations(caBundle: bundle)
        #expect(configurations.count == 2, "70-webhooks.yaml ships a mutating and a validating configuration")
        for configuration in configurations { _ = try fake.apply(configuration) }
        _ = try fake.apply(
            #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"injected","labels":{"istio-injection":"enabled"}}}"#)
        _ = try fake.apply(FakeObjects.namespace("plain"))
        let group = ServiceGroup(services: [server], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try await bound.wait()
            fake.routeService(namespace: "istio-system", name: "istiod", port: 443, toLocalPort: port)
            try await fake.serving { apiPort in try await body(fake, apiPort) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// POSTs `object` to the fake's collection `path`, as kubectl create does.
    static func create(_ path: String, _ object: String, apiPort: Int) async throws -> HTTPResponse {
        try await FakeKubernetes.send("POST", path, object, apiPort: apiPort)
    }

    static func pod(_ name: String, labels: String = #""app":"web""#) -> String {
        #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"\#(name)","labels":{\#(labels)}},"spec":{"serviceAccountName":"web","containers":[{"name":"web","image":"nginx"}]}}"#
    }

    static func containerNames(_ stored: String?) -> [String] {
        guard let stored, let object = try? JSONValue.decode(Data(stored.utf8)) else { return [] }
        var names: [String] = []
        for list in ["initContainers", "containers"] {
            if case .array(let items)? = object["spec"]?[list] { names += items.compactMap { $0["name"]?.stringValue } }
        }
        return names
    }

    @Test func podsAreInjectedBeforeTheyAreStoredAsTheNamespaceSays() async throws {
        try await Self.withCluster { fake, apiPort in
            let created = try await Self.create("/api/v1/namespaces/injected/pods", Self.pod("a"), apiPort: apiPort)
            #expect(created.status == 201, "\(created.body)")
            #expect(Self.containerNames(fake.object(kind: "Pod", namespace: "injected", name: "a")) == ["istio-init", "istio-proxy", "web"])
            #expect(created.body.contains("sidecar.istio.io/status"), "the API answer is the stored, injected pod")

            // Opted out in an enabled namespace: the objectSelector keeps it from the webhook.
            let optedOut = try await Self.create(
                "/api/v1/namespaces/injected/pods", Self.pod("b", labels: #""sidecar.istio.io/inject":"false""#),
                apiPort: apiPort)
            #expect(optedOut.status == 201)
            #expect(Self.containerNames(fake.object(kind: "Pod", namespace: "injected", name: "b")) == ["web"])

            // An unlabelled namespace: only pods that ask.
            _ = try await Self.create("/api/v1/namespaces/plain/pods", Self.pod("c"), apiPort: apiPort)
            #expect(Self.containerNames(fake.object(kind: "Pod", namespace: "plain", name: "c")) == ["web"])
            _ = try await Self.create(
                "/api/v1/namespaces/plain/pods", Self.pod("d", labels: #""sidecar.istio.io/inject":"true""#),
                apiPort: apiPort)
            #expect(Self.containerNames(fake.object(kind: "Pod", namespace: "plain", name: "d")) == ["istio-init", "istio-proxy", "web"])
            #expect(fake.admissionCalls["namespace.sidecar-injector.istio.io"] == 1)
            #expect(fake.admissionCalls["object.sidecar-injector.istio.io"] == 1)
        }
    }

    @Test func anInvalidVirtualServiceIsRefusedWithMeshdsMessage() async throws {
        try await Self.withCluster { fake, apiPort in
            let invalid =
                #"{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"reviews"},"spec":{"hosts":["reviews"],"http":[{"route":[{"destination":{"host":"reviews"},"weight":-5}]}]}}"#
            let refused = try await Self.create(
                "/apis/networking.istio.io/v1/namespaces/plain/virtualservices", invalid, apiPort: apiPort)
            #expect(refused.status == 400, "\(refused.body)")
            #expect(
                refused.body.contains(
                    "admission webhook \\\"validation.istio.io\\\" denied the request: configuration is invalid: VirtualService/plain/reviews"),
                "\(refused.body)")
            #expect(fake.object(kind: "VirtualService", namespace: "plain", name: "reviews") == nil)

            let valid =
                #"{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"ok"},"spec":{"hosts":["reviews"],"http":[{"route":[{"destination":{"host":"reviews"}}]}]}}"#
            let created = try await Self.create(
                "/apis/networking.istio.io/v1/namespaces/plain/virtualservices", valid, apiPort: apiPort)
            #expect(created.status == 201, "\(created.body)")

            // An update that makes it invalid is refused too, and the stored object stays as it was.
            let broken = valid.replacingOccurrences(of: #"{"host":"reviews"}}"#, with: #"{"host":"reviews"},"weight":-1}"#)
            #expect(broken != valid)
            let updated = try await FakeKubernetes.send(
                "PUT", "/apis/networking.istio.io/v1/namespaces/plain/virtualservices/ok", broken, apiPort: apiPort)
            #expect(updated.status == 400, "\(updated.body)")
            #expect(updated.body.contains("denied the request: configuration is invalid: VirtualService/plain/ok"))
            #expect(fake.object(kind: "VirtualService", namespace: "plain", name: "ok")?.contains("\"weight\":-1") == false)
        }
    }

    @Test func withoutTheCABundleInjectionFailsClosedAndValidationIsIgnored() async throws {
        try await Self.withCluster(caBundle: false) { fake, apiPort in
            // The injector's failurePolicy is Fail: the pod is refused, not created without its sidecar.
            let pod = try await Self.create("/api/v1/namespaces/injected/pods", Self.pod("a"), apiPort: apiPort)
            #expect(pod.status == 500, "\(pod.body)")
            #expect(pod.body.contains("failed calling webhook"), "\(pod.body)")
            #expect(fake.object(kind: "Pod", namespace: "injected", name: "a") == nil)
            // The validator ships as Ignore until meshd is ready: a config write is not blocked by an unverified call.
            let invalid =
                #"{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"reviews"},"spec":{"hosts":["reviews"],"http":[{"route":[{"destination":{"host":"reviews"},"weight":-5}]}]}}"#
            let written = try await Self.create(
                "/apis/networking.istio.io/v1/namespaces/plain/virtualservices", invalid, apiPort: apiPort)
            #expect(written.status == 201, "\(written.body)")
        }
    }
}
