import MeshModel
import Testing

/// Numbers from outside (weights, ports, counts, addresses) are refused with an error when istiod or Envoy would
/// refuse them, and never trap: every case runs the real decode and validate path on YAML text.
@Suite("Numeric limits on external input")
struct NumericLimitsTests {
    /// A VirtualService with one route of `kind` (`http`, `tcp` or `tls`) splitting traffic over `weights`.
    static func split(_ kind: String, weights: [String]) -> String {
        let destinations = weights.enumerated().map { index, weight in
            "    - destination: {host: reviews, subset: v\(index + 1)}\n      weight: \(weight)"
        }.joined(separator: "\n")
        let match = kind == "tls" ? "  - match: [{sniHosts: [reviews]}]\n    route:" : "  - route:"
        return """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              hosts: [reviews]
              \(kind):
            \(match)
            \(destinations)
            """
    }

    /// Issue 12 item 3: Int64.max and 1 overflowed the weight sum and killed `meshd validate` and `serve` (SIGILL).
    @Test("weights 9223372036854775807 and 1 are refused, not a crash", arguments: ["http", "tcp", "tls"])
    func overflowingWeights(kind: String) throws {
        let result = decode(Self.split(kind, weights: ["9223372036854775807", "1"]))
        #expect(result.objects.isEmpty)
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.\(kind)[0].route[0].weight")
        #expect(error.reason.contains("9223372036854775807 does not fit in an int32"), "\(error)")
        #expect(error.line == (kind == "tls" ? 10 : 9))
    }

    @Test("a weight beyond int64 is refused as too large, not as not-a-number", arguments: ["http", "tcp"])
    func weightBeyondInt64(kind: String) throws {
        let error = try #require(onlyError(decode(Self.split(kind, weights: ["99999999999999999999999", "1"]))))
        #expect(error.reason == "99999999999999999999999 does not fit in an int32 (-2147483648 to 2147483647)")
    }

    /// Istio's weight is an int32: 2^31 and 2^32 (which Envoy's uint32 would also overflow) are refused.
    @Test("weights of 2^31 and 2^32 are refused", arguments: ["2147483648", "4294967296"])
    func weightsBeyondInt32(weight: String) throws {
        let error = try #require(onlyError(decode(Self.split("http", weights: [weight]))))
        #expect(error.fieldPath == "spec.http[0].route[0].weight")
        #expect(error.reason.contains("does not fit in an int32"))
    }

    /// Envoy NACKs weighted clusters whose weights add up to more than a uint32; two int32 maxima still fit.
    @Test(
        "a split whose sum exceeds a uint32 is refused; one that fits is accepted", arguments: ["http", "tcp", "tls"])
    func weightSum(kind: String) throws {
        let fits = decode(Self.split(kind, weights: ["2147483647", "2147483647"]))
        #expect(fits.errors.isEmpty, "\(fits.errors)")
        #expect(fits.objects.count == 1)
        let tooMuch = decode(Self.split(kind, weights: ["2147483647", "2147483647", "2"]))
        let error = try #require(onlyError(tooMuch))
        #expect(error.fieldPath == "spec.\(kind)[0].route")
        #expect(error.reason == "total destination weight 4294967296 exceeds 4294967295, the most Envoy accepts")
    }

    /// Another source (Kubernetes, etcd) may hand the validator any typed value: it must not trap either.
    @Test("the validator sums typed weights without overflowing")
    func typedWeights() {
        let destinations = [Int.max, Int.max, 1].enumerated().map { index, weight in
            HTTPRouteDestination(destination: Destination(host: "reviews", subset: "v\(index)"), weight: weight)
        }
        var route = HTTPRoute()
        route.route = destinations
        let service = VirtualService(
            meta: ObjectMeta(name: "reviews", namespace: "bookinfo"), hosts: ["reviews"], http: [route])
        let issues = ResourceValidator.validate(.virtualService(service)).map(\.description)
        #expect(
            issues.contains { $0.hasPrefix("spec.http[0].route[0].weight: weight 9223372036854775807 does not fit") })
        #expect(
            issues.contains { $0.hasPrefix("spec.http[0].route: total destination weight 9223372036854775807 exceeds") }
        )
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var fieldPath: String
        var reason: String
        var testDescription: String { name }
    }

    static func destinationRule(_ trafficPolicy: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          host: reviews
          trafficPolicy:
        \(trafficPolicy)
        """
    }

    static let service = """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          ports: [{name: http, port: 9080}]
        """

    static func pod(ip: String, containerPort: String = "9080") -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-1, namespace: bookinfo}
        spec:
          containers:
          - name: app
            ports: [{name: http, containerPort: \(containerPort)}]
        status: {podIP: "\(ip)"}
        """
    }

    static let refused: [Case] = [
        Case(
            name: "maxConnections beyond int32",
            yaml: destinationRule("    connectionPool: {tcp: {maxConnections: 2147483648}}"),
            fieldPath: "spec.trafficPolicy.connectionPool.tcp.maxConnections",
            reason: "2147483648 does not fit in an int32 (-2147483648 to 2147483647)"),
        Case(
            name: "http2MaxRequests beyond int64",
            yaml: destinationRule("    connectionPool: {http: {http2MaxRequests: 1e99999}}"),
            fieldPath: "spec.trafficPolicy.connectionPool.http.http2MaxRequests",
            reason: "expected an integer, found \"1e99999\""),
        Case(
            name: "consecutive5xxErrors beyond uint32",
            yaml: destinationRule("    outlierDetection: {consecutive5xxErrors: 4294967296}"),
            fieldPath: "spec.trafficPolicy.outlierDetection.consecutive5xxErrors",
            reason: "4294967296 does not fit in a uint32 (0 to 4294967295)"),
        Case(
            name: "negative keepalive probes",
            yaml: destinationRule("    connectionPool: {tcp: {tcpKeepalive: {probes: -1}}}"),
            fieldPath: "spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.probes",
            reason: "must not be negative, found -1"),
        Case(
            name: "Service port beyond int64",
            yaml: service.replacingOccurrences(of: "9080", with: "18446744073709551616"),
            fieldPath: "spec.ports[0].port",
            reason: "18446744073709551616 does not fit in an int32 (-2147483648 to 2147483647)"),
        Case(
            name: "Service targetPort beyond int32",
            yaml: service.replacingOccurrences(of: "port: 9080", with: "port: 9080, targetPort: 4294967297"),
            fieldPath: "spec.ports[0].targetPort", reason: "4294967297 does not fit in an int32"),
        Case(
            name: "Service clusterIP that is not an address",
            yaml: service + "\n  clusterIP: 10.96.0.300",
            fieldPath: "spec.clusterIP", reason: "\"10.96.0.300\" must be a valid IP address"),
        Case(
            name: "Service clusterIP with a leading zero", yaml: service + "\n  clusterIP: 10.96.0.010",
            fieldPath: "spec.clusterIP", reason: "must be a valid IP address"),
        Case(
            name: "Service clusterIP with two ::", yaml: service + "\n  clusterIP: \"2001::db8::1\"",
            fieldPath: "spec.clusterIP", reason: "must be a valid IP address"),
        Case(
            name: "Pod IP that is not an address", yaml: pod(ip: "10.1.2"), fieldPath: "status.podIP",
            reason: "\"10.1.2\" must be a valid IP address"),
        Case(
            name: "Pod IP with a stray colon", yaml: pod(ip: ":1:2"), fieldPath: "status.podIP",
            reason: "must be a valid IP address"),
        Case(
            name: "Pod container port out of range", yaml: pod(ip: "10.1.2.3", containerPort: "70000"),
            fieldPath: "spec.containers[0].ports[0].containerPort", reason: "port 70000 is out of range 1-65535"),
        Case(
            name: "WorkloadEntry weight beyond uint32",
            yaml: """
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: vm, namespace: bookinfo}
                spec: {address: 10.0.0.1, weight: 4294967296}
                """,
            fieldPath: "spec.weight", reason: "4294967296 does not fit in a uint32"),
        Case(
            name: "ServiceEntry port beyond uint32",
            yaml: """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: ext, namespace: bookinfo}
                spec:
                  hosts: [ext.example.com]
                  ports: [{number: 4294967377, name: http, protocol: HTTP}]
                  resolution: DNS
                """,
            fieldPath: "spec.ports[0].number", reason: "4294967377 does not fit in a uint32"),
        Case(
            name: "ring hash larger than Envoy allows",
            yaml: destinationRule(
                "    loadBalancer: {consistentHash: {useSourceIp: true, ringHash: {minimumRingSize: 8388609}}}"),
            fieldPath: "spec.trafficPolicy.loadBalancer.consistentHash.ringHash.minimumRingSize",
            reason: "must be at most 8388608 (Envoy's limit), found 8388609"),
        Case(
            name: "direct response status 600 (Envoy's limit is below 600)",
            yaml: """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: bookinfo}
                spec:
                  hosts: [reviews]
                  http: [{directResponse: {status: 600}}]
                """,
            fieldPath: "spec.http[0].directResponse.status", reason: "HTTP status 600 is not in range 200-599"),
        Case(
            name: "ServiceEntry endpoint weights of one locality beyond a uint32",
            yaml: """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: vms, namespace: bookinfo}
                spec:
                  hosts: [vms.example.com]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints:
                  - {address: 10.0.0.1, weight: 4294967295, locality: us/east}
                  - {address: 10.0.0.2, weight: 1, locality: us/east}
                  - {address: 10.0.0.3, weight: 4294967295, locality: us/west}
                """,
            fieldPath: "spec.endpoints",
            reason:
                "the weights of the endpoints in locality us/east add up to 4294967296, more than 4294967295 (Envoy's limit)"
        ),
        Case(
            name: "EndpointSlice address of the wrong family",
            yaml: """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: reviews-abc, namespace: bookinfo, labels: {kubernetes.io/service-name: reviews}}
                addressType: IPv4
                endpoints: [{addresses: ["2001:db8::1"]}]
                ports: [{name: http, port: 9080}]
                """,
            fieldPath: "endpoints[0].addresses[0]", reason: "must be a valid IPv4 address"),
    ]

    @Test("out-of-range numbers and invalid addresses are refused with the field and the reason", arguments: refused)
    func refusedCase(_ testCase: Case) throws {
        let result = decode(testCase.yaml)
        #expect(result.objects.isEmpty)
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == testCase.fieldPath, "\(error)")
        #expect(error.reason.contains(testCase.reason), "\(error)")
    }

    @Test(
        "valid addresses are accepted",
        arguments: ["10.96.0.10", "None", "", "2001:db8::a", "::", "::ffff:10.0.0.1", "fd00:1:2:3:4:5:6:7", "0.0.0.0"])
    func validClusterIP(address: String) {
        let result = decode(Self.service + "\n  clusterIP: \"\(address)\"")
        #expect(result.errors.isEmpty, "\(result.errors)")
        let pod = decode(Self.pod(ip: address == "None" ? "10.1.2.3" : address))
        #expect(pod.errors.isEmpty, "\(pod.errors)")
    }
}
