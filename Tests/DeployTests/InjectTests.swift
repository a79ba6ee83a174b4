import Foundation
import MeshModel
import MeshTestSupport
import Testing
import Yams

@testable import Injection
@testable import meshd

/// `meshd inject`: what it adds to a pod, what it leaves alone, and what it refuses.
@Suite struct InjectTests {
    let injector = SidecarInjector(settings: InjectSettings())

    func documents(_ yaml: String) throws -> [Node] {
        Array(try Yams.compose_all(yaml: yaml))
    }

    func podSpec(of document: Node) -> Node? {
        document["kind"]?.string == "Pod" ? document["spec"] : document["spec"]?["template"]?["spec"]
    }

    func container(_ name: String, in list: Node?) -> Node? {
        list?.sequence?.first { $0["name"]?.string == name }
    }

    @Test func initContainerInstallsTheSameRedirectAsTheTestPods() throws {
        let output = try documents(try injector.inject(yaml: InjectSamples.bookinfo))
        let spec = try #require(podSpec(of: output[1]))
        let initContainer = try #require(container("istio-init", in: spec["initContainers"]))
        let script = try #require(initContainer["args"]?[0]?.string)
        #expect(script.contains("iptables-restore --noflush"))
        #expect(
            script.contains(SidecarInterception.rules()),
            "the init container must install the rules the end-to-end pods use")
        #expect(script.contains("-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001"))
        #expect(script.contains("-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006"))
        #expect(script.contains("-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN"))
        let added = initContainer["securityContext"]?["capabilities"]?["add"]?.array(of: String.self) ?? []
        #expect(Set(added) == ["NET_ADMIN", "NET_RAW"])
        #expect(initContainer["securityContext"]?["runAsUser"]?.int == 0)
        // The redirect comes first; the user's own init container still runs, after the proxy.
        let names = spec["initContainers"]?.sequence?.compactMap { $0["name"]?.string }
        #expect(names == ["istio-init", "istio-proxy", "migrate"])
    }

    @Test func sidecarRunsEnvoyAsUID1337WithABootstrapPointingAtMeshd() throws {
        let output = try documents(try injector.inject(yaml: InjectSamples.bookinfo))
        let spec = try #require(podSpec(of: output[1]))
        let proxy = try #require(container("istio-proxy", in: spec["initContainers"]))
        #expect(proxy["image"]?.string == "envoyproxy/envoy:v1.40.0")
        #expect(proxy["restartPolicy"]?.string == "Always")
        #expect(proxy["securityContext"]?["runAsUser"]?.int == 1337)
        #expect(proxy["securityContext"]?["runAsNonRoot"]?.bool == true)
        let env = proxy["env"]?.sequence.map(Array.init) ?? []
        let fieldPaths = env.compactMap { $0["valueFrom"]?["fieldRef"]?["fieldPath"]?.string }
        #expect(Set(fieldPaths) == ["status.podIP", "metadata.name", "metadata.namespace", "spec.serviceAccountName"])
        let template = try #require(env.first { $0["name"]?.string == "MESHD_BOOTSTRAP_TEMPLATE" }?["value"]?.string)
        let bootstrap = try #require(try JSONSerialization.jsonObject(with: Data(template.utf8)) as? [String: Any])
        let node = try #require(bootstrap["node"] as? [String: Any])
        #expect(
            node["id"] as? String
                == "sidecar~__INSTANCE_IP__~__POD_NAME__.__POD_NAMESPACE__~__POD_NAMESPACE__.svc.cluster.local")
        #expect(template.contains("\"address\":\"istiod.istio-system.svc\""))
        #expect(template.contains("\"port_value\":15012"))
        #expect(template.contains("\"type\":\"STRICT_DNS\""))
        #expect(template.contains("Bearer __ISTIO_TOKEN__"))
        #expect(template.contains("/var/run/secrets/istio/root-cert.pem"))
        #expect(template.contains("\"version\":\"v1\""), "the pod template's labels reach the node metadata")
        let entrypoint = try #require(proxy["args"]?[0]?.string)
        #expect(entrypoint.contains("cat /var/run/secrets/tokens/istio-token"))
        #expect(entrypoint.contains("exec envoy"))
    }

    @Test func tokenVolumeIsAProjectedTokenForIstioCA() throws {
        let output = try documents(try injector.inject(yaml: InjectSamples.bookinfo))
        let spec = try #require(podSpec(of: output[1]))
        let volume = try #require(spec["volumes"]?.sequence?.first { $0["name"]?.string == "istio-token" })
        let token = try #require(volume["projected"]?["sources"]?[0]?["serviceAccountToken"])
        #expect(token["audience"]?.string == "istio-ca")
        #expect(token["path"]?.string == "istio-token")
        let mount = container("istio-proxy", in: spec["initContainers"])?["volumeMounts"]?.sequence?
            .first { $0["name"]?.string == "istio-token" }
        #expect(mount?["mountPath"]?.string == "/var/run/secrets/tokens")
        #expect(spec["volumes"]?.sequence?.first?["name"]?.string == "tmp", "existing volumes are kept")
        let rootCert = spec["volumes"]?.sequence?.first { $0["name"]?.string == "istiod-ca-cert" }
        #expect(rootCert?["configMap"]?["name"]?.string == "istio-ca-root-cert")
    }

    @Test func otherDocumentsPassThroughUnchanged() throws {
        let input = try documents(InjectSamples.bookinfo)
        let output = try documents(try injector.inject(yaml: InjectSamples.bookinfo))
        #expect(output.count == 3)
        #expect(output[0] == input[0])
        #expect(output[2] == input[2])
        // Strings that look like other types stay strings.
        #expect(output[2]["data"]?["enabled"]?.scalar?.style == .doubleQuoted)
    }

    @Test func everySupportedKindGetsTheSidecar() throws {
        let output = try documents(try injector.inject(yaml: InjectSamples.otherWorkloads))
        #expect(output.count == 4)
        for document in output {
            let spec = podSpec(of: document)
            #expect(container("istio-proxy", in: spec?["initContainers"]) != nil, "\(document["kind"]?.string ?? "?")")
            #expect(container("istio-init", in: spec?["initContainers"]) != nil)
        }
    }

    @Test func legacySidecarIsAnOrdinaryContainer() throws {
        var settings = InjectSettings()
        settings.nativeSidecar = false
        let output = try documents(try SidecarInjector(settings: settings).inject(yaml: InjectSamples.bookinfo))
        let spec = try #require(podSpec(of: output[1]))
        #expect(container("istio-proxy", in: spec["containers"])?["restartPolicy"] == nil)
        #expect(container("istio-proxy", in: spec["initContainers"]) == nil)
    }

    @Test func optedOutPodsAreLeftAlone() throws {
        let yaml = InjectSamples.bookinfo.replacingOccurrences(
            of: "        version: v1\n    spec:\n      serviceAccountName",
            with: "        version: v1\n        sidecar.istio.io/inject: \"false\"\n    spec:\n      serviceAccountName"
        )
        #expect(yaml != InjectSamples.bookinfo)
        let output = try documents(try injector.inject(yaml: yaml))
        #expect(output[1] == (try documents(yaml))[1])
    }

    @Test(arguments: [
        ("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec: {}\n", "CronJob is not supported"),
        ("apiVersion: v1\nkind: List\nitems: []\n", "v1 List is not supported"),
        ("- just\n- a list\n", "not a Kubernetes object"),
        ("metadata: {name: x}\n", "apiVersion and kind are required"),
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: 1}\n",
            "spec.template is missing"
        ),
        ("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: []}\n", "no containers"),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {hostNetwork: true, containers: [{name: a, image: b}]}\n",
            "hostNetwork"
        ),
        ("key: [unclosed\n", "not valid YAML"),
    ])
    func badInputIsRefusedWithAReason(yaml: String, reason: String) throws {
        let error = #expect(throws: InjectError.self) { try injector.inject(yaml: yaml) }
        #expect(error?.description.contains(reason) == true, "\(error?.description ?? "no error")")
    }

    @Test func injectingTwiceChangesNothing() throws {
        let once = try injector.inject(yaml: InjectSamples.bookinfo)
        #expect(once.contains("sidecar.istio.io/status"))
        #expect(try injector.inject(yaml: once) == once)
    }

    @Test func aSidecarWithoutTheStatusAnnotationIsRefused() throws {
        let once = try injector.inject(yaml: InjectSamples.bookinfo).replacingOccurrences(
            of: "sidecar.istio.io/status", with: "example.com/was-status")
        let error = #expect(throws: InjectError.self) { try injector.inject(yaml: once) }
        #expect(
            error?.description.contains(
                "document 2 (Deployment/reviews-v1): already has a container named istio-proxy") == true,
            "\(error?.description ?? "no error")")
    }
}
