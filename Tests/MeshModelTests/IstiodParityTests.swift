import MeshModel
import Testing

/// Issue 13 item 7: what Istio's own test data and samples say istiod accepts or refuses, one rule per test, with
/// meshd's own YAML (the conformance corpus itself stays outside the repository).
@Suite("Validation parity with istiod")
struct IstiodParityTests {
    // MARK: PeerAuthentication

    @Test("a selector without labels is accepted with a warning and scoped like no selector")
    func emptySelector() throws {
        let yaml = """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: strict, namespace: shop}
            spec:
              selector: {}
              mtls: {mode: STRICT}
            """
        let result = decode(yaml)
        guard case .peerAuthentication(let policy) = onlyResource(result) else {
            Issue.record("not decoded")
            return
        }
        #expect(policy.selector == nil)
        #expect(result.warnings.map(\.fieldPath) == ["spec.selector"])
        // Namespace-wide, as istiod composes it: every workload of the namespace is STRICT.
        let snapshot = MeshSnapshot.build(from: result.objects)
        #expect(snapshot.effectiveMutualTLS(namespace: "shop", labels: ["app": "any"]).mode == .strict)
    }

    @Test("portLevelMtls needs a selector with labels, and at least one port")
    func portLevelRules() throws {
        let header =
            "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p, namespace: shop}\nspec:\n"
        let empty = try #require(
            onlyError(decode(header + "  selector: {matchLabels: {app: a}}\n  portLevelMtls: {}\n")))
        #expect(empty.fieldPath == "spec.portLevelMtls")
        #expect(empty.reason == "must name at least one port")
        let unlabelled = try #require(
            onlyError(decode(header + "  selector: {}\n  portLevelMtls: {\"80\": {mode: STRICT}}\n")))
        #expect(unlabelled.fieldPath == "spec.portLevelMtls")
        #expect(unlabelled.reason.hasPrefix("requires a workload selector"))
        let wildcard = try #require(onlyError(decode(header + "  selector: {matchLabels: {app: \"*\"}}\n")))
        #expect(wildcard.reason == "wildcard is not supported in selector")
    }

    // MARK: ServiceEntry

    static func serviceEntry(_ spec: String) -> String {
        "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext, namespace: default}\nspec:\n\(spec)"
    }

    @Test("DYNAMIC_DNS is a resolution istiod knows: accepted with a warning, without endpoints")
    func dynamicDNS() throws {
        let result = decode(
            Self.serviceEntry(
                """
                  hosts: ["*.wikipedia.org"]
                  ports: [{number: 443, name: tls, protocol: TLS}]
                  resolution: DYNAMIC_DNS
                """))
        guard case .serviceEntry(let entry) = onlyResource(result) else {
            Issue.record("not decoded")
            return
        }
        #expect(entry.resolution == .dynamicDNS)
        #expect(result.warnings.map(\.fieldPath) == ["spec.resolution"])
        // Until the translator has a dynamic forward proxy, the service passes traffic through.
        let snapshot = MeshSnapshot.build(from: result.objects)
        #expect(snapshot.services.first?.resolution == .passthrough)
        let withEndpoints = try #require(
            onlyError(
                decode(
                    Self.serviceEntry(
                        """
                          hosts: ["*.wikipedia.org"]
                          ports: [{number: 443, name: tls, protocol: TLS}]
                          resolution: DYNAMIC_DNS
                          endpoints: [{address: 1.2.3.4}]
                        """))))
        #expect(withEndpoints.reason == "no endpoints should be provided for resolution type DYNAMIC_DNS")
    }

    /// Kubernetes' YAML parser reads `001:db8::` in a flow list as a string; libyaml alone refuses the `::]`.
    @Test("a flow list of addresses ending in :: parses as Go's YAML parser reads it")
    func flowListColon() throws {
        let result = decode(
            Self.serviceEntry(
                """
                  hosts: [example.com]
                  addresses: [1.2.3.4, 001:db8::]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: NONE
                """))
        guard case .serviceEntry(let entry) = onlyResource(result) else {
            Issue.record("not decoded")
            return
        }
        #expect(entry.addresses == ["1.2.3.4", "001:db8::"])
        let several = decode(
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\nstatus: {a: [fe80::, \"::1\", 2001:db8::], b: {c: 2001:db8::}}\n"
        )
        #expect(several.errors.isEmpty, "\(several.errors)")
        // Anything else libyaml refuses keeps its error.
        let broken = try #require(
            onlyError(decode("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: [a:, 'b]\n")))
        #expect(broken.reason.hasPrefix("YAML does not parse"))
    }

    // MARK: Sidecar

    static func sidecar(hosts: [String]) -> String {
        let list = hosts.map { "\"\($0)\"" }.joined(separator: ", ")
        return
            "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default, namespace: prod-us1}\nspec:\n  egress:\n  - hosts: [\(list)]\n"
    }

    @Test(
        "~namespace/host excludes hosts: accepted without a warning (the translator subtracts them); a bad namespace is not"
    )
    func egressExclusions() throws {
        let result = decode(
            Self.sidecar(hosts: ["*/*", "~prod-us2/*", "~prod-apis/foo.example.com", "~/bar.example.com"]))
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.objects.count == 1)
        #expect(result.warnings.isEmpty, "\(result.warnings)")
        let bad = try #require(onlyError(decode(Self.sidecar(hosts: ["*/*", "~Not_A_Namespace/*"]))))
        #expect(bad.fieldPath == "spec.egress[0].hosts[1]")
        #expect(bad.reason == "invalid namespace value \"Not_A_Namespace\" in sidecar host \"~Not_A_Namespace/*\"")
    }

    // MARK: Secret

    @Test("an Opaque Secret without TLS keys is kept, not refused; a broken TLS Secret still is")
    func opaqueSecrets() throws {
        // bookinfo's mysql-credentials: a password (not even UTF-8 after base64 here), no TLS keys.
        let opaque = decode(
            """
            apiVersion: v1
            kind: Secret
            metadata: {name: mysql-credentials}
            type: Opaque
            data: {rootpasswd: /w==}
            """)
        guard case .secret(let secret) = onlyResource(opaque) else {
            Issue.record("not decoded")
            return
        }
        #expect(!secret.hasKeyPair && secret.caCertificate == nil)
        let halfTLS = try #require(
            onlyError(
                decode(
                    """
                    apiVersion: v1
                    kind: Secret
                    metadata: {name: cert-only}
                    type: Opaque
                    stringData: {cert: "-----BEGIN CERTIFICATE-----"}
                    """)))
        #expect(halfTLS.reason.contains("needs both a certificate"))
        let emptyTLS = try #require(
            onlyError(decode("apiVersion: v1\nkind: Secret\nmetadata: {name: t}\ntype: kubernetes.io/tls\ndata: {}\n")))
        #expect(emptyTLS.fieldPath == "data")
    }

    // MARK: Gateway API

    @Test("Gateway API kinds are skipped with a warning, including its Gateway", arguments: ["Gateway", "HTTPRoute"])
    func gatewayAPI(kind: String) throws {
        let result = decode(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: \(kind)
            metadata: {name: web, namespace: default}
            spec: {gatewayClassName: istio}
            """)
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.objects.isEmpty)
        let warning = try #require(result.warnings.first)
        #expect(
            warning.reason
                == "\(kind) \"web\" of the Gateway API (gateway.networking.k8s.io) is not supported by meshd yet; document skipped"
        )
        // An Istio Gateway with an unsupported version of its own group is still an error.
        let wrongVersion = decode("apiVersion: networking.istio.io/v9\nkind: Gateway\nmetadata: {name: g}\nspec: {}\n")
        #expect(wrongVersion.objects.isEmpty)
        #expect(wrongVersion.errors.contains { $0.fieldPath == "apiVersion" }, "\(wrongVersion.errors)")
    }

    // MARK: DestinationRule warmup

    static func warmup(_ body: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: ratings, namespace: default}
        spec:
          host: ratings
          trafficPolicy:
            loadBalancer:
              warmup: {\(body)}
        """
    }

    @Test(
        "warmup out of bounds is refused",
        arguments: [
            (
                "duration: 300s, minimumPercent: 150.0", "spec.trafficPolicy.loadBalancer.warmup.minimumPercent",
                "must be between 0 and 100, found 150.0"
            ),
            ("minimumPercent: 5.0", "spec.trafficPolicy.loadBalancer.warmup.duration", "required"),
            (
                "duration: 300s, aggression: -0.1", "spec.trafficPolicy.loadBalancer.warmup.aggression",
                "must not be negative, found -0.1"
            ),
            (
                "duration: 0s", "spec.trafficPolicy.loadBalancer.warmup.duration",
                "duration must be at least 1ms, found 0s"
            ),
        ])
    func warmupRefused(body: String, fieldPath: String, reason: String) throws {
        let error = try #require(onlyError(decode(Self.warmup(body))))
        #expect(error.fieldPath == fieldPath)
        #expect(error.reason == reason)
    }

    @Test("warmup within bounds is accepted, with a warning that it is not translated yet")
    func warmupAccepted() throws {
        let result = decode(Self.warmup("duration: 300s, minimumPercent: 5.0, aggression: 5.0"))
        guard case .destinationRule(let rule) = onlyResource(result) else {
            Issue.record("not decoded")
            return
        }
        let warmup = try #require(rule.trafficPolicy?.loadBalancer?.warmup)
        #expect(warmup.duration == .seconds(300))
        #expect(warmup.minimumPercent == 5)
        #expect(warmup.aggression == 5)
        #expect(result.warnings.map(\.fieldPath) == ["spec.trafficPolicy.loadBalancer.warmup"])
    }
}
