import MeshModel
import Testing

/// istiod's webhook rules for DestinationRule: each case is refused with the named field path and reason.
@Suite("DestinationRule validation")
struct DestinationRuleValidationTests {
    struct Case: Sendable, CustomStringConvertible {
        var spec: String
        var path: String
        var reason: String
        var description: String { path }
    }

    static let refused: [Case] = [
        Case(spec: "  host: \"\"", path: "spec.host", reason: "required"),
        Case(spec: "  host: reviews..bookinfo", path: "spec.host", reason: "is invalid"),
        Case(spec: "  host: foo.*.com", path: "spec.host", reason: "is invalid"),
        Case(
            spec: """
                  host: reviews
                  subsets:
                  - {name: v1, labels: {version: v1}}
                  - {name: v1, labels: {version: v2}}
                """, path: "spec.subsets[1].name", reason: "duplicate subset name \"v1\""),
        Case(
            spec: """
                  host: reviews
                  subsets:
                  - {name: v1.2, labels: {version: v1}}
                """, path: "spec.subsets[0].name", reason: "DNS-1123 label"),
        Case(
            spec: """
                  host: reviews
                  exportTo: ["*", "."]
                """, path: "spec.exportTo", reason: "cannot be combined"),
        Case(
            spec: """
                  host: reviews
                  exportTo: [".", "."]
                """, path: "spec.exportTo[1]", reason: "duplicate entry"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy: {}
                """, path: "spec.trafficPolicy", reason: "at least one field"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    outlierDetection: {baseEjectionTime: 0s}
                """, path: "spec.trafficPolicy.outlierDetection.baseEjectionTime", reason: "at least 1ms"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    outlierDetection: {interval: 1500us}
                """, path: "spec.trafficPolicy.outlierDetection.interval", reason: "millisecond precision"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    outlierDetection: {maxEjectionPercent: 101}
                """, path: "spec.trafficPolicy.outlierDetection.maxEjectionPercent", reason: "out of range 0-100"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    outlierDetection: {minHealthPercent: -1}
                """, path: "spec.trafficPolicy.outlierDetection.minHealthPercent", reason: "out of range 0-100"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    outlierDetection: {consecutiveLocalOriginFailures: 3}
                """, path: "spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures",
            reason: "splitExternalLocalOriginErrors is false"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    connectionPool: {tcp: {maxConnections: -1}}
                """, path: "spec.trafficPolicy.connectionPool.tcp.maxConnections", reason: "must not be negative"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    connectionPool: {http: {http1MaxPendingRequests: -5}}
                """, path: "spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests",
            reason: "must not be negative"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    connectionPool: {http: {h2UpgradePolicy: UPGRADE, useClientProtocol: true}}
                """, path: "spec.trafficPolicy.connectionPool.http.useClientProtocol", reason: "UPGRADE"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    connectionPool: {tcp: {connectTimeout: -1s}}
                """, path: "spec.trafficPolicy.connectionPool.tcp.connectTimeout", reason: "at least 1ms"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    loadBalancer: {consistentHash: {httpCookie: {ttl: 10s}}}
                """, path: "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name", reason: "required"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    loadBalancer: {consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 1000}}}
                """, path: "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize", reason: "prime"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    loadBalancer: {consistentHash: {httpHeaderName: x, minimumRingSize: 64, ringHash: {minimumRingSize: 64}}}
                """, path: "spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize", reason: "only one of"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    loadBalancer: {simple: FASTEST}
                """, path: "spec.trafficPolicy.loadBalancer.simple", reason: "unknown load balancer"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    tls: {mode: MUTUAL, caCertificates: /ca.pem, privateKey: /key.pem}
                """, path: "spec.trafficPolicy.tls.clientCertificate", reason: "required for MUTUAL"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    tls: {mode: SIMPLE, credentialName: reviews-cred, caCertificates: /ca.pem}
                """, path: "spec.trafficPolicy.tls", reason: "credentialName"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    tls: {mode: PLAINTEXT}
                """, path: "spec.trafficPolicy.tls.mode", reason: "unknown TLS mode"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    portLevelSettings:
                    - port: {number: 70000}
                      loadBalancer: {simple: RANDOM}
                """, path: "spec.trafficPolicy.portLevelSettings[0].port.number", reason: "out of range"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    portLevelSettings:
                    - loadBalancer: {simple: RANDOM}
                """, path: "spec.trafficPolicy.portLevelSettings[0].port", reason: "port number is required"),
        Case(
            spec: """
                  host: reviews
                  trafficPolicy:
                    portLevelSettings:
                    - port: {number: 9080}
                """, path: "spec.trafficPolicy.portLevelSettings[0]", reason: "at least one field"),
        Case(
            spec: """
                  host: reviews
                  subsets:
                  - name: v1
                    trafficPolicy:
                      connectionPool: {http: {maxRetries: -1}}
                """, path: "spec.subsets[0].trafficPolicy.connectionPool.http.maxRetries",
            reason: "must not be negative"),
    ]

    @Test(arguments: refused)
    func refusedWithFieldPathAndReason(_ rule: Case) throws {
        let result = decode(destinationRuleYAML(rule.spec))
        #expect(result.objects.isEmpty)
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == rule.path)
        #expect(error.reason.contains(rule.reason), "\(error.reason)")
        #expect(error.object == ResourceKey(kind: .destinationRule, namespace: "bookinfo", name: "reviews"))
        #expect(error.line != nil)
    }

    @Test func acceptedEdgeCases() {
        let result = decode(
            destinationRuleYAML(
                """
                  host: "*.example.com"
                  exportTo: [".", "istio-system"]
                  trafficPolicy:
                    connectionPool: {tcp: {idleTimeout: 0s}}
                    loadBalancer: {consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 65537}}}
                    tls: {mode: SIMPLE, credentialName: example-cred}
                  subsets:
                  - {name: v1, labels: {version: v1}}
                  - {name: V2-canary, labels: {version: v2}}
                """))
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
        #expect(result.objects.count == 1)
    }
}
