import Foundation
@testable import Injection
import MeshTestSupport
import Testing

/// The whole of istiod's Kubernetes path through meshd, with real Envoys: a Pod created through the (fake) API
/// server in an `istio-injection=enabled` namespace is injected by meshd's webhook (the shipped webhook
/// configurations, whose caBundle the elected leader wrote), and its sidecar, run in a network-namespace pod from
/// the injected container's own bootstrap, verifies meshd's TLS xDS port against the `istio-ca-root-cert`
/// ConfigMap the leader wrote into the namespace, authenticates with the pod's projected service-account token
/// (audience istio-ca, checked by TokenReview), becomes ready on its readiness port, and routes real requests.
@Suite("Kubernetes injection end to end (fake API server + meshd webhooks + real Envoys)", .serialized, .tags(.e2e))
struct KubernetesInjectionE2ETests {
    static let clusterIP = "10.96.0.31"

    @Test("a pod created in an injection-enabled namespace gets a sidecar that verifies meshd and routes traffic")
    func injectedPodRoutesTraffic() async throws {
        let cluster = FakeKubernetes()
        try cluster.apply(
            #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default","labels":{"kubernetes.io/metadata.name":"default","istio-injection":"enabled"}},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}"#
        )
        try cluster.apply(FakeObjects.namespace("istio-system"))
        for configuration in try ShippedWebhooks.configurations() { _ = try cluster.apply(configuration) }
        try await cluster.serving { apiPort in
            try await MeshNetwork.with(label: "inj") { network in
                let backend = try network.addPod(
                    name: "reviews-v1", labels: ["app": "reviews", "version": "v1"], serviceAccount: "bookinfo-reviews")
                let client = try network.addPod(
                    name: "productpage", labels: ["app": "productpage"], serviceAccount: "bookinfo-productpage")
                try cluster.apply(FakeObjects.service("reviews", clusterIP: Self.clusterIP))
                try cluster.apply(
                    FakeObjects.pod(backend.name, labels: backend.labels, ip: backend.ip, serviceAccount: backend.serviceAccount))
                try cluster.apply(
                    FakeObjects.endpointSlice(
                        "reviews-a1b2c", service: "reviews", endpoints: [FakeSliceEndpoint(backend.ip, pod: backend.name)]))

                let kubeconfig = network.scratchDirectory.appendingPathComponent("kubeconfig")
                try KubernetesE2ETests.kubeconfig(apiPort: apiPort).write(to: kubeconfig, atomically: true, encoding: .utf8)
                let webhookPort = try MeshdProcess.freeLocalPort()
                let injector = network.scratchDirectory.appendingPathComponent("injector.yaml")
                // The pods reach meshd's TLS port over its UNIX socket (the network namespaces share the filesystem).
                try "meshd:\n  meshdAddress: unix:\(network.scratchDirectory.appendingPathComponent("xds-tls.sock").path)\n"
                    .write(to: injector, atomically: true, encoding: .utf8)
                let meshd = try await MeshdProcess.start(
                    in: network, configFiles: [:],
                    extraArguments: [
                        "--kubeconfig", kubeconfig.path, "--kubernetes-token-review", "--webhook-address",
                        "127.0.0.1:\(webhookPort)", "--injector-config", injector.path,
                    ])
                cluster.routeService(namespace: "istio-system", name: "istiod", port: 443, toLocalPort: webhookPort)

                // The leader's duties: the root in every namespace, and as the webhooks' caBundle.
                let root = try await Poll.until("the istio-ca-root-cert ConfigMap in default", timeout: .seconds(30)) {
                    () -> String? in
                    try meshd.process.checkRunning()
                    guard let text = cluster.object(kind: "ConfigMap", namespace: "default", name: "istio-ca-root-cert"),
                        let object = try? JSONValue.decode(Data(text.utf8))
                    else { return nil }
                    return object["data"]?["root-cert.pem"]?.stringValue
                }
                _ = try await Poll.until("the injector's caBundle", timeout: .seconds(30)) { () -> Bool? in
                    let text = cluster.object(kind: "MutatingWebhookConfiguration", namespace: "", name: "istio-sidecar-injector") ?? ""
                    return text.contains("\"caBundle\":\"") ? true : nil
                }

                // kubectl create: the API server calls the webhook and stores the injected pod.
                let created = try await FakeKubernetes.send(
                    "POST",
                    "/api/v1/namespaces/default/pods",
                    #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"productpage","labels":{"app":"productpage"}},"spec":{"serviceAccountName":"bookinfo-productpage","containers":[{"name":"productpage","image":"docker.io/istio/examples-bookinfo-productpage-v1:1.20.3","ports":[{"containerPort":9080}]}]}}"#,
                    apiPort: apiPort)
                #expect(created.status == 201, "\(created.body)")
                let pod = try JSONValue.decode(Data(created.body.utf8))
                guard case .array(let initContainers)? = pod["spec"]?["initContainers"],
                    let proxy = initContainers.first(where: { $0["name"]?.stringValue == "istio-proxy" }),
                    case .array(let environment)? = proxy["env"],
                    let template = environment.first(where: { $0["name"]?.stringValue == InjectBootstrap.templateVariable })?["value"]?.stringValue
                else {
                    Issue.record("the stored pod has no injected istio-proxy: \(created.body.prefix(500))")
                    return
                }
                #expect(created.body.contains("\"istio-ca-root-cert\""), "the sidecar mounts the root ConfigMap")
                #expect(proxy["readinessProbe"]?["httpGet"]?["port"] == .int(15021))

                // The kubelet's part: the pod's IP, the projected token (audience istio-ca, known to TokenReview) and
                // the ConfigMap's file; then the entrypoint's substitutions.
                try cluster.apply(
                    FakeObjects.pod(client.name, labels: client.labels, ip: client.ip, serviceAccount: client.serviceAccount))
                let token = "projected-\(UUID().uuidString)"
                cluster.addToken(
                    token, FakeToken(namespace: "default", serviceAccount: "bookinfo-productpage", podName: "productpage"))
                let rootFile = network.scratchDirectory.appendingPathComponent("productpage-root-cert.pem")
                try root.write(to: rootFile, atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: rootFile.path)
                let bootstrap = template
                    .replacingOccurrences(of: "__INSTANCE_IP__", with: client.ip)
                    .replacingOccurrences(of: "__POD_NAME__", with: "productpage")
                    .replacingOccurrences(of: "__POD_NAMESPACE__", with: "default")
                    .replacingOccurrences(of: "__SERVICE_ACCOUNT__", with: "bookinfo-productpage")
                    .replacingOccurrences(of: "__ISTIO_TOKEN__", with: token)
                    .replacingOccurrences(of: InjectSettings.rootCertPath, with: rootFile.path)

                _ = try await backend.startEchoServer(service: "reviews")
                let backendSidecar = try backend.startSidecar(bootstrapJSON: meshd.bootstrap(for: backend))
                let sidecar = try client.startSidecar(bootstrapJSON: bootstrap)
                try await backendSidecar.waitUntilReady()
                try await sidecar.waitUntilReady(timeout: .seconds(40))
                // The kubelet's readiness probe, on the pod's IP.
                let probe = try HTTPProbe.get("http://\(client.ip):15021/healthz/ready", inNetns: client.netns)
                #expect(probe.status == 200, "\(probe.body)")
                #expect(cluster.tokenReviewCount > 0, "the sidecar's token was checked by TokenReview")

                let url = "http://\(Self.clusterIP):9080/reviews/1"
                let answers = try await Poll.until("requests through the injected sidecar", timeout: .seconds(20)) {
                    () -> TrafficSummary? in
                    let sent = try await client.sendRequests(to: url, host: "reviews", count: 5, maxSeconds: 5)
                    return sent.pods == ["reviews-v1": 5] ? sent : nil
                }
                #expect(answers.pods == ["reviews-v1": 5])
            }
        }
    }
}
