import MeshModel
import Testing

/// A Sidecar document in namespace `ns` whose spec is `spec` (indented for `spec:`).
private func sidecarYAML(
    _ spec: String, name: String = "default", namespace: String = "bookinfo"
)
    -> String
{
    """
    apiVersion: networking.istio.io/v1
    kind: Sidecar
    metadata:
      name: \(name)
      namespace: \(namespace)
    spec:
    \(spec)
    """
}

@Suite struct SidecarDecodingTests {
    @Test func decodesEveryTranslatedField() throws {
        let result = decode(
            sidecarYAML(
                """
                  workloadSelector:
                    labels:
                      app: ratings
                  ingress:
                  - port:
                      number: 9080
                      protocol: HTTP
                      name: http
                    defaultEndpoint: 127.0.0.1:8080
                    captureMode: IPTABLES
                  egress:
                  - port:
                      number: 3306
                      protocol: MYSQL
                      name: mysql
                    hosts:
                    - "*/mysql.example.com"
                  - hosts:
                    - "./*"
                    - "istio-system/*"
                  outboundTrafficPolicy:
                    mode: REGISTRY_ONLY
                """))
        guard case .sidecar(let sidecar) = onlyResource(result) else {
            Issue.record("not a Sidecar")
            return
        }
        // captureMode is read and validated, but meshd's listeners always assume iptables capture: a warning says so.
        #expect(
            result.warnings.map(\.fieldPath) == ["spec.ingress[0].captureMode"], "\(result.warnings)")
        #expect(sidecar.workloadSelector == ["app": "ratings"])
        #expect(
            sidecar.ingress == [
                SidecarIngressListener(
                    port: SidecarPort(number: 9080, protocol: "HTTP", name: "http"), captureMode: .iptables,
                    defaultEndpoint: "127.0.0.1:8080")
            ])
        #expect(sidecar.egress.map(\.hosts) == [["*/mysql.example.com"], ["./*", "istio-system/*"]])
        #expect(sidecar.egress.first?.port?.number == 3306)
        #expect(sidecar.outboundTrafficPolicy == .registryOnly)
    }

    @Test func untranslatedFieldsAreWarnedByPath() throws {
        let result = decode(
            sidecarYAML(
                """
                  ingress:
                  - port:
                      number: 9443
                      protocol: HTTPS
                      name: https
                    defaultEndpoint: 127.0.0.1:8443
                    tls:
                      mode: SIMPLE
                    connectionPool:
                      tcp:
                        maxConnections: 10
                  egress:
                  - hosts: ["./*"]
                  outboundTrafficPolicy:
                    mode: ALLOW_ANY
                    egressProxy:
                      host: egress.example.com
                      port:
                        number: 443
                  inboundConnectionPool:
                    tcp:
                      maxConnections: 10
                """))
        #expect(result.errors.isEmpty, "\(result.errors)")
        let paths = Set(result.warnings.map(\.fieldPath))
        #expect(
            paths == [
                "spec.inboundConnectionPool", "spec.ingress[0].connectionPool", "spec.ingress[0].tls",
                "spec.outboundTrafficPolicy.egressProxy",
            ])
    }

    @Test func unknownEnumValuesAreRefused() throws {
        let result = decode(
            sidecarYAML(
                """
                  egress:
                  - hosts: ["./*"]
                    captureMode: TPROXY
                  outboundTrafficPolicy:
                    mode: DENY
                """))
        #expect(result.objects.isEmpty)
        #expect(
            result.errors.map(\.fieldPath) == [
                "spec.egress[0].captureMode", "spec.outboundTrafficPolicy.mode",
            ])
        #expect(result.errors.first?.reason.contains("expected DEFAULT, IPTABLES or NONE") == true)
        #expect(result.errors.first?.object?.description == "Sidecar/bookinfo/default")
    }

    @Test func duplicatedHostsAndEmptySelectorAreWarnings() throws {
        let result = decode(
            sidecarYAML(
                """
                  workloadSelector: {}
                  egress:
                  - hosts: ["bookinfo/*", "./reviews.bookinfo.svc.cluster.local"]
                """))
        #expect(result.errors.isEmpty)
        #expect(result.objects.count == 1)
        #expect(
            result.warnings.map(\.fieldPath) == ["spec.workloadSelector", "spec.egress[0].hosts[1]"])
    }
}

@Suite struct SidecarValidationTests {
    /// Each case: the spec, then the field path and a fragment of the reason istiod's webhook would give.
    static let refused: [(spec: String, path: String, reason: String)] = [
        ("  workloadSelector:\n    labels:\n      app: x", "spec", "empty configuration"),
        (
            "  egress:\n  - hosts: [\"reviews\"]", "spec.egress[0].hosts[0]",
            "must be of form namespace/dnsName"
        ),
        ("  egress:\n  - hosts: [\"/reviews\"]", "spec.egress[0].hosts[0]", "cannot be empty"),
        ("  egress:\n  - hosts: [\"Bad_NS/*\"]", "spec.egress[0].hosts[0]", "invalid namespace value"),
        ("  egress:\n  - hosts: [\"./foo.*.com\"]", "spec.egress[0].hosts[0]", "is invalid"),
        ("  egress:\n  - hosts: []", "spec.egress[0].hosts", "at least one host"),
        (
            "  egress:\n  - hosts: [\"./*\"]\n  - port: {number: 80, protocol: HTTP}\n    hosts: [\"./*\"]",
            "spec.egress[0].port", "should be the last listener"
        ),
        (
            "  egress:\n  - port: {number: 80, protocol: HTTP}\n    hosts: [\"./*\"]\n  - port: {number: 80, protocol: HTTP}\n    hosts: [\"*/*\"]",
            "spec.egress[1].port.number", "must be unique"
        ),
        (
            "  egress:\n  - port: {number: 80, protocol: FTP}\n    hosts: [\"./*\"]",
            "spec.egress[0].port.protocol",
            "unrecognized protocol"
        ),
        (
            "  egress:\n  - port: {number: 0, protocol: HTTP}\n    hosts: [\"./*\"]",
            "spec.egress[0].bind",
            "unix domain socket"
        ),
        (
            "  egress:\n  - port: {number: 80, protocol: HTTP}\n    bind: not-an-ip\n    hosts: [\"./*\"]",
            "spec.egress[0].bind", "not an IP address"
        ),
        ("  ingress:\n  - defaultEndpoint: 127.0.0.1:8080", "spec.ingress[0].port", "port is required"),
        (
            "  ingress:\n  - port: {number: 9080, protocol: HTTP}\n    defaultEndpoint: 10.0.0.1:8080",
            "spec.ingress[0].defaultEndpoint", "must be of form 127.0.0.1:<port>"
        ),
        (
            "  ingress:\n  - port: {number: 9080, protocol: HTTP}\n    defaultEndpoint: 127.0.0.1:http",
            "spec.ingress[0].defaultEndpoint", "is not a number"
        ),
        (
            "  ingress:\n  - port: {number: 9080, protocol: HTTP}\n    defaultEndpoint: unix://relative.sock",
            "spec.ingress[0].defaultEndpoint", "not an absolute path"
        ),
        (
            "  ingress:\n  - port: {number: 9080, protocol: HTTP}\n  - port: {number: 9080, protocol: TCP}",
            "spec.ingress[1].port.number", "must be unique"
        ),
        (
            "  ingress:\n  - port: {number: 70000, protocol: HTTP}", "spec.ingress[0].port.number",
            "out of range"
        ),
        (
            "  ingress:\n  - port: {number: 9080, protocol: HTTP, targetPort: 8080}",
            "spec.ingress[0].port.targetPort",
            "no impact"
        ),
        (
            "  ingress:\n  - port: {number: 9080, protocol: HTTP}\n    tls: {mode: SIMPLE}",
            "spec.ingress[0].tls",
            "non HTTPS/TLS ports"
        ),
        (
            "  ingress:\n  - port: {number: 9443, protocol: HTTPS}\n    tls: {mode: ISTIO_MUTUAL}",
            "spec.ingress[0].tls.mode", "cannot set mode to ISTIO_MUTUAL"
        ),
        (
            "  workloadSelector:\n    labels:\n      \"-bad\": x\n  egress:\n  - hosts: [\"./*\"]",
            "spec.workloadSelector.labels", "invalid label key"
        ),
        (
            "  outboundTrafficPolicy:\n    mode: REGISTRY_ONLY\n    egressProxy: {host: a.example.com}",
            "spec.outboundTrafficPolicy.egressProxy", "only be set with the ALLOW_ANY"
        ),
    ]

    @Test(arguments: 0..<refused.count) func refusesAsTheWebhookDoes(_ index: Int) throws {
        let (spec, path, reason) = Self.refused[index]
        let result = decode(sidecarYAML(spec))
        #expect(result.objects.isEmpty, "accepted: \(spec)")
        #expect(
            result.errors.contains { $0.fieldPath == path && $0.reason.contains(reason) },
            "\(spec) -> \(result.errors.map(\.description))")
    }

    @Test func acceptsIstioSamples() throws {
        let accepted = [
            "  egress:\n  - hosts: [\"./*\", \"istio-system/*\"]",
            "  egress:\n  - hosts: [\"~/*\"]\n  outboundTrafficPolicy:\n    mode: REGISTRY_ONLY",
            "  outboundTrafficPolicy:\n    mode: REGISTRY_ONLY",
            "  egress:\n  - port: {number: 9080, protocol: HTTP, name: egresshttp}\n    hosts: [\"prod-us1/*\"]\n  - hosts: [\"istio-system/*\"]",
            "  egress:\n  - port: {number: 0, protocol: HTTP}\n    bind: unix:///var/run/someuds.sock\n    captureMode: NONE\n    hosts: [\"*/*.example.com\"]",
            "  ingress:\n  - port: {number: 9080, protocol: HTTP, name: somename}\n    defaultEndpoint: unix:///var/run/someuds.sock\n  - port: {number: 9081, protocol: HTTP}\n    defaultEndpoint: \"[::1]:8081\"\n  - port: {number: 9082, protocol: HTTP}\n    defaultEndpoint: 0.0.0.0:8082\n  egress:\n  - hosts: [\"*/*\"]",
        ]
        for spec in accepted {
            let result = decode(sidecarYAML(spec))
            #expect(result.errors.isEmpty, "\(spec) -> \(result.errors.map(\.description))")
        }
    }
}

@Suite struct SidecarSelectionTests {
    static let yaml = [
        sidecarYAML("  egress:\n  - hosts: [\"*/*\"]", name: "mesh-default", namespace: "istio-system"),
        sidecarYAML("  egress:\n  - hosts: [\"./*\"]", name: "ns-default"),
        sidecarYAML(
            "  workloadSelector:\n    labels:\n      app: ratings\n  egress:\n  - hosts: [\"./ratings.bookinfo.svc.cluster.local\"]",
            name: "ratings"),
    ].joined(separator: "\n---\n")

    @Test func workloadSelectorWinsThenNamespaceThenRoot() throws {
        let result = decode(Self.yaml)
        #expect(result.errors.isEmpty)
        let snapshot = MeshSnapshot.build(from: result.objects)
        #expect(
            snapshot.sidecar(forNamespace: "bookinfo", labels: ["app": "ratings"])?.meta.name == "ratings"
        )
        #expect(
            snapshot.sidecar(forNamespace: "bookinfo", labels: ["app": "reviews"])?.meta.name
                == "ns-default")
        #expect(
            snapshot.sidecar(forNamespace: "shop", labels: ["app": "ratings"])?.meta.name
                == "mesh-default")
        let withoutRoot = MeshSnapshot.build(
            from: result.objects.filter { $0.key.namespace != "istio-system" })
        #expect(withoutRoot.sidecar(forNamespace: "shop", labels: [:]) == nil)
    }
}

@Suite struct SidecarAnalysisTests {
    @Test func severalDefaultsOrOverlappingSelectorsAreWarnings() throws {
        let yaml = [
            sidecarYAML("  egress:\n  - hosts: [\"./*\"]", name: "a"),
            sidecarYAML("  egress:\n  - hosts: [\"*/*\"]", name: "b"),
            sidecarYAML(
                "  workloadSelector:\n    labels:\n      app: ratings\n  egress:\n  - hosts: [\"./*\"]",
                name: "c"),
            sidecarYAML(
                "  workloadSelector:\n    labels:\n      version: v1\n  egress:\n  - hosts: [\"./*\"]",
                name: "d"),
            """
            apiVersion: v1
            kind: Pod
            metadata:
              name: ratings-v1
              namespace: bookinfo
              labels: {app: ratings, version: v1}
            status:
              podIP: 10.1.0.9
            """,
        ].joined(separator: "\n---\n")
        let result = decode(yaml)
        #expect(result.errors.isEmpty)
        let findings = ConfigAnalysis.analyze(MeshSnapshot.build(from: result.objects))
            .filter { $0.object?.kind == .sidecar }
        #expect(
            findings.map { "\($0.object?.name ?? "") \($0.fieldPath)" } == [
                "a spec", "b spec", "c spec.workloadSelector", "d spec.workloadSelector",
            ])
        #expect(findings.allSatisfy { $0.severity == .warning })
        #expect(findings.first?.reason.hasPrefix("IST0111 MultipleSidecarsWithoutWorkloadSelectors") == true)
        #expect(findings.last?.reason.hasPrefix("IST0110 ConflictingSidecarWorkloadSelectors") == true)
        #expect(findings.last?.reason.contains("Pod/bookinfo/ratings-v1") == true)
    }
}
