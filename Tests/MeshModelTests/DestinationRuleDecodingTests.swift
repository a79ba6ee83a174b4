import MeshModel
import Testing

/// A DestinationRule document in `bookinfo` whose spec body is `spec` (indented two spaces, under `spec:`).
func destinationRuleYAML(_ spec: String, name: String = "reviews", namespace: String = "bookinfo") -> String {
    """
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata:
      name: \(name)
      namespace: \(namespace)
    spec:
    \(spec)
    """
}

@Suite("DestinationRule decoding")
struct DestinationRuleDecodingTests {
    @Test func everyTranslatedTrafficPolicyField() throws {
        let result = decode(
            destinationRuleYAML(
                """
                  host: reviews
                  trafficPolicy:
                    loadBalancer:
                      consistentHash:
                        httpCookie: {name: user, path: /, ttl: 1h30m}
                        maglev: {tableSize: 1021}
                    connectionPool:
                      tcp:
                        maxConnections: 100
                        connectTimeout: 250ms
                        tcpKeepalive: {probes: 3, time: 7200s, interval: 75s}
                        maxConnectionDuration: 1h
                        idleTimeout: 30m
                      http:
                        http1MaxPendingRequests: 1
                        http2MaxRequests: 1000
                        maxRequestsPerConnection: 10
                        maxRetries: 3
                        idleTimeout: 1.5s
                        h2UpgradePolicy: UPGRADE
                        maxConcurrentStreams: 50
                    outlierDetection:
                      consecutive5xxErrors: 7
                      consecutiveGatewayErrors: 0
                      consecutiveLocalOriginFailures: 2
                      splitExternalLocalOriginErrors: true
                      interval: 5m
                      baseEjectionTime: 15m
                      maxEjectionPercent: 100
                      minHealthPercent: 20
                    tls:
                      mode: SIMPLE
                      caCertificates: /etc/certs/ca.pem
                      sni: reviews.example.com
                      subjectAltNames: [reviews.example.com]
                      insecureSkipVerify: false
                    portLevelSettings:
                    - port: {number: 9080}
                      loadBalancer: {simple: RANDOM}
                """))
        guard case .destinationRule(let rule) = onlyResource(result) else {
            Issue.record("not a DR")
            return
        }
        #expect(result.warnings.isEmpty, "\(result.warnings.map(\.description))")
        let policy = try #require(rule.trafficPolicy)
        #expect(
            policy.loadBalancer?.consistentHash
                == ConsistentHashLB(
                    key: .cookie(HTTPCookie(name: "user", path: "/", ttl: .seconds(5400))),
                    algorithm: .maglev(tableSize: 1021)))
        #expect(
            policy.connectionPool?.tcp
                == ConnectionPoolSettings.TCPSettings(
                    maxConnections: 100, connectTimeout: .milliseconds(250),
                    tcpKeepalive: .init(probes: 3, time: .seconds(7200), interval: .seconds(75)),
                    maxConnectionDuration: .seconds(3600), idleTimeout: .seconds(1800)))
        #expect(
            policy.connectionPool?.http
                == ConnectionPoolSettings.HTTPSettings(
                    http1MaxPendingRequests: 1, http2MaxRequests: 1000, maxRequestsPerConnection: 10, maxRetries: 3,
                    idleTimeout: .milliseconds(1500), h2UpgradePolicy: .upgrade, maxConcurrentStreams: 50))
        #expect(
            policy.outlierDetection
                == OutlierDetection(
                    consecutive5xxErrors: 7, consecutiveGatewayErrors: 0, consecutiveLocalOriginFailures: 2,
                    splitExternalLocalOriginErrors: true, interval: .seconds(300), baseEjectionTime: .seconds(900),
                    maxEjectionPercent: 100, minHealthPercent: 20))
        #expect(
            policy.tls
                == ClientTLSSettings(
                    mode: .simple, caCertificates: "/etc/certs/ca.pem", sni: "reviews.example.com",
                    subjectAltNames: ["reviews.example.com"]))
        #expect(
            policy.portLevelSettings == [
                PortTrafficPolicy(port: 9080, loadBalancer: LoadBalancerSettings(simple: .random))
            ])
    }

    @Test(arguments: [
        ("httpHeaderName: x-user", ConsistentHashLB.Key.header("x-user")),
        ("useSourceIp: true", .sourceIP),
        ("httpQueryParameterName: user", .queryParameter("user")),
    ])
    func hashKeys(line: String, key: ConsistentHashLB.Key) {
        let result = decode(
            destinationRuleYAML(
                """
                  host: reviews
                  trafficPolicy:
                    loadBalancer:
                      consistentHash:
                        \(line)
                        minimumRingSize: 2048
                """))
        guard case .destinationRule(let rule) = onlyResource(result) else {
            Issue.record("not a DR")
            return
        }
        #expect(rule.trafficPolicy?.loadBalancer?.consistentHash == ConsistentHashLB(key: key, minimumRingSize: 2048))
    }

    @Test func unsupportedFieldsWarnByPath() {
        let result = decode(
            destinationRuleYAML(
                """
                  host: reviews
                  workloadSelector: {matchLabels: {app: ratings}}
                  trafficPolicy:
                    loadBalancer:
                      simple: ROUND_ROBIN
                      localityLbSetting: {enabled: true}
                    outlierDetection:
                      consecutiveErrors: 5
                    tls: {mode: SIMPLE, caCrl: /crl.pem}
                    tunnel: {targetHost: example.com, targetPort: 443}
                """))
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
        #expect(
            result.warnings.map(\.fieldPath) == [
                "spec.workloadSelector", "spec.trafficPolicy.outlierDetection.consecutiveErrors", "spec.trafficPolicy.tls.caCrl",
                "spec.trafficPolicy.tunnel",
            ])
    }

    @Test func goDurationSyntax() throws {
        let result = decode(
            destinationRuleYAML(
                """
                  host: reviews
                  trafficPolicy:
                    connectionPool:
                      tcp: {connectTimeout: ten seconds}
                """))
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.trafficPolicy.connectionPool.tcp.connectTimeout")
        #expect(error.reason.contains("invalid duration \"ten seconds\""))
        #expect(error.line == 10)
    }

    @Test func simpleAndConsistentHashTogetherAreRefused() throws {
        let result = decode(
            destinationRuleYAML(
                """
                  host: reviews
                  trafficPolicy:
                    loadBalancer:
                      simple: ROUND_ROBIN
                      consistentHash: {httpHeaderName: x-user}
                """))
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.trafficPolicy.loadBalancer")
        #expect(error.reason.contains("only one of simple or consistentHash"))
    }
}
