import MeshModel
import Testing

/// istiod's DestinationRule lookup (PushContext.destinationRule): client namespace, then the service's namespace,
/// then the root namespace, each subject to exportTo (except in the client's own namespace).
@Suite("DestinationRule precedence and merging")
struct DestinationRulePrecedenceTests {
    static let service = """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          ports: [{name: http, port: 9080}]
        """
    static let host = "reviews.bookinfo.svc.cluster.local"

    func rule(
        _ namespace: String, exportTo: String? = nil, host: String = "reviews.bookinfo.svc.cluster.local"
    )
        -> String
    {
        let export = exportTo.map { "\n  exportTo: \($0)" } ?? ""
        return destinationRuleYAML("  host: \"\(host)\"\(export)", name: "dr-\(namespace)", namespace: namespace)
    }

    func snapshot(_ documents: [String]) -> MeshSnapshot {
        let result = decode(([Self.service] + documents).joined(separator: "\n---\n"))
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
        return MeshSnapshot.build(from: result.objects)
    }

    func chosen(_ snapshot: MeshSnapshot, client: String, host: String = host) -> String? {
        snapshot.destinationRule(for: host, clientNamespace: client)?.meta.namespace
    }

    @Test func clientNamespaceThenServiceNamespaceThenRoot() {
        let all = snapshot([rule("frontend"), rule("bookinfo"), rule("istio-system"), rule("other")])
        #expect(chosen(all, client: "frontend") == "frontend")
        #expect(chosen(all, client: "bookinfo") == "bookinfo")
        // A client with no rule of its own gets the service namespace's, as istiod does, before the root's.
        #expect(chosen(all, client: "payments") == "bookinfo")

        let rootAndOther = snapshot([rule("istio-system"), rule("other")])
        #expect(chosen(rootAndOther, client: "payments") == "istio-system")
        // A rule in an unrelated namespace never applies to other namespaces' clients...
        let onlyOther = snapshot([rule("other")])
        #expect(chosen(onlyOther, client: "payments") == nil)
        // ...but always to its own.
        #expect(chosen(onlyOther, client: "other") == "other")
    }

    @Test func exportToIsHonoured() {
        let privateHome = snapshot([rule("bookinfo", exportTo: "[\".\"]"), rule("istio-system")])
        #expect(chosen(privateHome, client: "bookinfo") == "bookinfo")
        #expect(chosen(privateHome, client: "payments") == "istio-system")

        let listed = snapshot([rule("bookinfo", exportTo: "[payments]")])
        #expect(chosen(listed, client: "payments") == "bookinfo")
        #expect(chosen(listed, client: "frontend") == nil)
        // A namespace always sees its own rules, whatever they export.
        let exportedElsewhere = snapshot([rule("frontend", exportTo: "[payments]"), rule("bookinfo")])
        #expect(chosen(exportedElsewhere, client: "frontend") == "frontend")

        let privateRoot = snapshot([rule("istio-system", exportTo: "[\".\"]")])
        #expect(chosen(privateRoot, client: "payments") == nil)
        #expect(chosen(privateRoot, client: "istio-system") == "istio-system")
    }

    @Test func mostSpecificHostWinsWithinANamespace() {
        let rules = snapshot([
            rule("istio-system", host: "*.svc.cluster.local"),
            rule("istio-system", host: "*.bookinfo.svc.cluster.local").replacingOccurrences(
                of: "dr-istio-system", with: "dr-narrow"),
        ])
        #expect(
            rules.destinationRule(for: Self.host, clientNamespace: "payments")?.host == "*.bookinfo.svc.cluster.local")
        #expect(
            rules.destinationRule(for: "ratings.other.svc.cluster.local", clientNamespace: "payments")?.host
                == "*.svc.cluster.local")
        let exact = snapshot([rule("istio-system", host: "*"), rule("bookinfo")])
        #expect(chosen(exact, client: "payments") == "bookinfo")
    }

    @Test func subsetAndPortLevelPoliciesMergeAsIstiod() throws {
        let result = decode(
            destinationRuleYAML(
                """
                  host: reviews
                  trafficPolicy:
                    loadBalancer: {simple: RANDOM}
                    connectionPool: {tcp: {maxConnections: 10}}
                    portLevelSettings:
                    - port: {number: 9443}
                      tls: {mode: SIMPLE}
                  subsets:
                  - name: v1
                    labels: {version: v1}
                    trafficPolicy:
                      outlierDetection: {consecutive5xxErrors: 1}
                  - name: v2
                    labels: {version: v2}
                    trafficPolicy:
                      loadBalancer: {simple: ROUND_ROBIN}
                      portLevelSettings:
                      - port: {number: 9080}
                        connectionPool: {http: {maxRetries: 1}}
                """))
        guard case .destinationRule(let rule) = onlyResource(result) else {
            Issue.record("not a DR")
            return
        }
        let random = LoadBalancerSettings(simple: .random)
        let tenConnections = ConnectionPoolSettings(tcp: .init(maxConnections: 10))
        #expect(
            rule.effectivePolicy(port: 9080, subset: nil)
                == TrafficPolicy(loadBalancer: random, connectionPool: tenConnections))
        // A port-level entry replaces the top level wholesale: no load balancer, no pool on 9443.
        #expect(rule.effectivePolicy(port: 9443, subset: nil) == TrafficPolicy(tls: ClientTLSSettings(mode: .simple)))
        // A subset overrides field by field.
        #expect(
            rule.effectivePolicy(port: 9080, subset: "v1")
                == TrafficPolicy(
                    loadBalancer: random, connectionPool: tenConnections,
                    outlierDetection: OutlierDetection(consecutive5xxErrors: 1)))
        // A subset's port-level entry replaces all four on its port; its other fields do not apply there.
        #expect(
            rule.effectivePolicy(port: 9080, subset: "v2")
                == TrafficPolicy(connectionPool: ConnectionPoolSettings(http: .init(maxRetries: 1))))
        #expect(
            rule.effectivePolicy(port: 9443, subset: "v2")
                == TrafficPolicy(
                    loadBalancer: LoadBalancerSettings(simple: .roundRobin), tls: ClientTLSSettings(mode: .simple)))
    }
}
