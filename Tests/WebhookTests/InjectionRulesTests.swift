import Foundation
import MeshModel
import MeshTestSupport
import Testing

@testable import Injection

/// The pieces of injection the webhook adds to `meshd inject`: istiod's selection rules, the per-pod
/// annotations, the injector config, and the JSON Patch of the answer.
@Suite struct InjectionRulesTests {
    func decide(
        _ policy: InjectionPolicy, labels: [String: String] = [:], annotations: [String: String] = [:],
        namespace: String = "default", hostNetwork: Bool = false
    ) -> Bool {
        policy.decide(namespace: namespace, labels: labels, annotations: annotations, hostNetwork: hostNetwork)
            == .inject
    }

    @Test func theSelectionRulesAreIstiodsInItsOrder() {
        let enabled = InjectionPolicy()
        #expect(decide(enabled))
        #expect(!decide(enabled, hostNetwork: true))
        #expect(!decide(enabled, namespace: "kube-system"))
        #expect(!decide(enabled, labels: ["sidecar.istio.io/inject": "false"]))
        #expect(!decide(enabled, annotations: ["sidecar.istio.io/inject": "no"]))
        #expect(!decide(enabled, annotations: ["sidecar.istio.io/status": "{}"]), "already injected")
        // The label wins over the annotation.
        #expect(decide(enabled, labels: ["sidecar.istio.io/inject": "true"], annotations: ["sidecar.istio.io/inject": "false"]))

        let disabled = InjectionPolicy(
            policy: .disabled, alwaysInjectSelector: [LabelSelector(matchLabels: ["tier": "mesh"])],
            neverInjectSelector: [
                LabelSelector(matchExpressions: [.init(key: "job-name", operator: .exists)])
            ])
        #expect(!decide(disabled))
        for value in ["true", "y", "yes", "on", "TRUE"] {
            #expect(decide(disabled, labels: ["sidecar.istio.io/inject": value]), "\(value)")
        }
        #expect(decide(disabled, labels: ["tier": "mesh"]))
        // neverInjectSelector is checked before alwaysInjectSelector, and only without an explicit label.
        #expect(!decide(disabled, labels: ["tier": "mesh", "job-name": "x"]))
        #expect(decide(disabled, labels: ["job-name": "x", "sidecar.istio.io/inject": "true"]))
        // An empty selector selects nothing (as istiod skips empty selectors).
        let empty = InjectionPolicy(policy: .disabled, alwaysInjectSelector: [LabelSelector()])
        #expect(!decide(empty, labels: ["app": "x"]))
    }

    @Test func labelSelectorOperators() throws {
        let selector = try LabelSelector(
            json: try JSONValue.decode(
                Data(
                    #"{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"env","operator":"In","values":["prod","stage"]},{"key":"canary","operator":"DoesNotExist"},{"key":"zone","operator":"NotIn","values":["b"]}]}"#
                        .utf8)), path: "s")
        #expect(selector.matches(["app": "web", "env": "prod"]))
        #expect(!selector.matches(["app": "web", "env": "dev"]))
        #expect(!selector.matches(["app": "web", "env": "prod", "canary": "1"]))
        #expect(!selector.matches(["app": "web", "env": "prod", "zone": "b"]))
        #expect(throws: InjectError.self) {
            try LabelSelector(json: try JSONValue.decode(Data(#"{"matchExpressions":[{"key":"a","operator":"In"}]}"#.utf8)), path: "s")
        }
        #expect(throws: InjectError.self) {
            try LabelSelector(json: try JSONValue.decode(Data(#"{"matchExpressions":[{"key":"a","operator":"Has"}]}"#.utf8)), path: "s")
        }
    }

    @Test func annotationsAreReadAndBadValuesNamed() throws {
        let read = try PodAnnotations([
            "sidecar.istio.io/proxyCPU": "1.5", "sidecar.istio.io/proxyMemory": "1Gi",
            "traffic.sidecar.istio.io/includeInboundPorts": "8080, 9090",
            "traffic.sidecar.istio.io/excludeOutboundIPRanges": "169.254.169.254/32",
            "proxy.istio.io/config": "holdApplicationUntilProxyStarts: true\nterminationDrainDuration: 20s\nconcurrency: 4\ntracing: {}",
            "readiness.status.sidecar.istio.io/periodSeconds": "5",
        ])
        #expect(read.cpuRequest == "1.5" && read.memoryRequest == "1Gi")
        #expect(read.interception.includeInboundPorts == [8080, 9090])
        #expect(read.interception.excludeOutboundIPRanges == ["169.254.169.254/32"])
        #expect(read.holdApplicationUntilProxyStarts == true && read.terminationDrainSeconds == 20 && read.concurrency == 4)
        #expect(read.readinessPeriodSeconds == 5)
        #expect(read.warnings == ["annotation proxy.istio.io/config: field tracing is not supported by meshd's injector; ignored"])

        for (key, value, reason) in [
            ("sidecar.istio.io/proxyMemory", "a lot", "is not a resource quantity"),
            ("traffic.sidecar.istio.io/excludeInboundPorts", "80,70000", "ports (1-65535)"),
            ("traffic.sidecar.istio.io/includeOutboundIPRanges", "10.0.0.0/33", "CIDRs"),
            ("traffic.sidecar.istio.io/includeOutboundIPRanges", "fd00::/8", "CIDRs"),
            ("proxy.istio.io/config", "terminationDrainDuration: forever", "terminationDrainDuration"),
            ("sidecar.istio.io/interceptionMode", "TPROXY", "REDIRECT only"),
            ("readiness.status.sidecar.istio.io/failureThreshold", "0", "at least 1"),
        ] {
            let error = #expect(throws: InjectError.self) { try PodAnnotations([key: value]) }
            #expect(error?.description.contains(key) == true, "\(error?.description ?? "")")
            #expect(error?.description.contains(reason) == true, "\(error?.description ?? "")")
        }
    }

    @Test func interceptionAnnotationsBecomeTheInitContainersRules() {
        let defaults = SidecarInterception.rules()
        #expect(defaults.contains("-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT"))
        #expect(defaults.contains("-A ISTIO_OUTPUT -j ISTIO_REDIRECT"))

        let narrowed = SidecarInterception.rules(
            settings: InterceptionSettings(
                includeOutboundIPRanges: ["10.96.0.0/12"], excludeOutboundIPRanges: ["10.96.0.10/32"],
                includeOutboundPorts: [443], excludeOutboundPorts: [5432], includeInboundPorts: [9080]))
        let lines = narrowed.split(separator: "\n").map(String.init)
        #expect(lines.contains("-A ISTIO_INBOUND -p tcp --dport 9080 -j ISTIO_IN_REDIRECT"))
        #expect(!lines.contains("-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT"))
        #expect(!lines.contains("-A ISTIO_OUTPUT -j ISTIO_REDIRECT"))
        // Order matters to iptables: exclusions return before the ranges redirect.
        let excludePort = lines.firstIndex(of: "-A ISTIO_OUTPUT -p tcp --dport 5432 -j RETURN")
        let excludeRange = lines.firstIndex(of: "-A ISTIO_OUTPUT -d 10.96.0.10/32 -j RETURN")
        let includePort = lines.firstIndex(of: "-A ISTIO_OUTPUT -p tcp --dport 443 -j ISTIO_REDIRECT")
        let includeRange = lines.firstIndex(of: "-A ISTIO_OUTPUT -d 10.96.0.0/12 -j ISTIO_REDIRECT")
        #expect(excludePort != nil && excludeRange != nil && includePort != nil && includeRange != nil)
        if let excludeRange, let includeRange { #expect(excludeRange < includeRange) }

        let noInbound = SidecarInterception.rules(settings: InterceptionSettings(includeInboundPorts: []))
        #expect(!noInbound.contains("PREROUTING"))
        let extraExcluded = SidecarInterception.rules(settings: InterceptionSettings(excludeInboundPorts: [8443]))
        #expect(extraExcluded.contains("-A ISTIO_INBOUND -p tcp --dport 8443 -j RETURN"))
    }

    @Test func theInjectorConfigIsReadWithFieldErrors() throws {
        let config = try InjectorConfig(
            yaml: """
                policy: disabled
                alwaysInjectSelector:
                - matchLabels: {mesh: "true"}
                injectedAnnotations: {team: payments}
                templates: {sidecar: "..."}
                meshd:
                  meshdAddress: 10.0.0.5:15012
                  nativeSidecar: false
                """, file: "injector.yaml")
        #expect(config.policy.policy == .disabled)
        #expect(config.policy.alwaysInjectSelector == [LabelSelector(matchLabels: ["mesh": "true"])])
        #expect(config.injectedAnnotations == ["team": "payments"])
        #expect(!config.settings.nativeSidecar)
        #expect(config.warnings.contains { $0.contains("templates") })
        for (yaml, reason) in [
            ("policy: sometimes", "policy: must be enabled or disabled"),
            ("meshd: {meshdAddress: nowhere}", "meshd.meshdAddress: expected HOST:PORT or unix:PATH"),
            ("meshd: {tokenExpirationSeconds: 60}", "at least 600"),
            ("neverInjectSelector: [{matchLabels: {a: 1}}]", "matchLabels.a: must be a string"),
        ] {
            let error = #expect(throws: InjectError.self) { try InjectorConfig(yaml: yaml, file: "injector.yaml") }
            #expect(error?.description.contains(reason) == true, "\(error?.description ?? "")")
        }
    }

    @Test func thePatchTurnsThePodIntoTheInjectedOneExactly() throws {
        let before = try JSONValue.decode(
            Data(
                #"{"metadata":{"annotations":{"a/b":"1","x~y":"2"},"labels":{"app":"web"}},"spec":{"containers":[{"name":"web"}],"volumes":[{"name":"v"}],"gone":true}}"#
                    .utf8))
        let after = try JSONValue.decode(
            Data(
                #"{"metadata":{"annotations":{"a/b":"1","x~y":"3","sidecar.istio.io/status":"{}"},"labels":{"app":"web"}},"spec":{"containers":[{"name":"web"},{"name":"istio-proxy"}],"volumes":[{"name":"w"}],"initContainers":[{"name":"istio-init"}]}}"#
                    .utf8))
        let patch = JSONPatch.diff(from: before, to: after)
        let encoded = try JSONValue.decode(try JSONEncoder().encode(patch))
        guard case .array(let operations) = encoded else {
            Issue.record("the patch is not an array")
            return
        }
        #expect(try JSONPatchApplier.apply(operations, to: before) == after)
        let paths = patch.map(\.path)
        #expect(paths.contains("/metadata/annotations/sidecar.istio.io~1status"), "\(paths)")
        #expect(paths.contains("/metadata/annotations/x~0y"), "\(paths)")
        #expect(paths.contains("/spec/containers/-"), "an appended container is an add at the end")
        #expect(patch.contains(.init(op: .remove, path: "/spec/gone")))
        #expect(JSONPatch.diff(from: after, to: after).isEmpty)
    }

    @Test func nodeJSONKeepsTypes() throws {
        let value = try JSONValue.decode(Data(#"{"s":"true","n":"8080","i":8080,"b":false,"d":1.5,"z":null,"l":["x"]}"#.utf8))
        #expect(try NodeJSON.json(NodeJSON.node(value)) == value)
    }
}
