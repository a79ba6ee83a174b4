import MeshModel
import Testing

/// `localityLbSetting` decoding and istiod's rules for it (DestinationRule and mesh config), and the locality of
/// Kubernetes endpoints from their Pod's label, their Node's topology labels, or their EndpointSlice's zone.
@Suite("Locality load balancing settings and endpoint locality")
struct LocalityLoadBalancingModelTests {
    static func rule(_ setting: String, outlier: Bool = true) -> String {
        let indented = setting.split(separator: "\n").map { "        \($0)" }.joined(separator: "\n")
        return destinationRuleYAML(
            """
              host: reviews
              trafficPolicy:
                loadBalancer:
                  localityLbSetting:
            \(indented)
            \(outlier ? "    outlierDetection: {consecutive5xxErrors: 1}" : "")
            """)
    }

    @Test("every field is decoded: enabled, distribute (weights sorted by locality), failover, failoverPriority")
    func decodesEveryField() throws {
        let result = decode(
            Self.rule(
                """
                enabled: true
                failover:
                - {from: us-east, to: eu-west}
                failoverPriority: [topology.istio.io/network, "version=v1"]
                """))
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
        #expect(result.warnings.isEmpty, "\(result.warnings.map(\.description))")
        guard case .destinationRule(let rule) = result.objects.first?.resource else {
            Issue.record("no DestinationRule")
            return
        }
        let setting = try #require(rule.trafficPolicy?.loadBalancer?.localityLbSetting)
        #expect(setting.enabled == true)
        #expect(setting.failover == [.init(from: "us-east", to: "eu-west")])
        #expect(setting.failoverPriority == ["topology.istio.io/network", "version=v1"])

        let distributed = decode(
            Self.rule(
                """
                distribute:
                - from: us-west/zone1/*
                  to: {"us-west/zone2/*": 20, "us-west/zone1/*": 80}
                """, outlier: false))
        #expect(distributed.errors.isEmpty, "\(distributed.errors.map(\.description))")
        guard case .destinationRule(let other) = distributed.objects.first?.resource else {
            Issue.record("no DestinationRule")
            return
        }
        #expect(
            other.trafficPolicy?.loadBalancer?.localityLbSetting?.distribute == [
                .init(
                    from: "us-west/zone1/*",
                    to: [.init(locality: "us-west/zone1/*", weight: 80), .init(locality: "us-west/zone2/*", weight: 20)])
            ])
    }

    struct Case: Sendable, CustomStringConvertible {
        var setting: String
        var path: String
        var reason: String
        var description: String { reason }
    }

    /// istiod's messages, each on the field it concerns.
    static let refused: [Case] = [
        Case(
            setting: """
                distribute:
                - {from: a/b/*, to: {"a/b/*": 100}}
                failover:
                - {from: a, to: b}
                """, path: "", reason: "can not simultaneously specify 'distribute' and 'failover'"),
        Case(
            setting: """
                failover:
                - {from: a, to: b}
                failoverPriority: [topology.kubernetes.io/zone]
                """, path: ".failoverPriority",
            reason: "can not simultaneously set 'failover' and topology label 'topology.kubernetes.io/zone' in 'failover_priority'"),
        Case(
            setting: "distribute:\n- {from: a/*, to: {\"a/*\": 0, \"b/*\": 100}}", path: ".distribute[0].to",
            reason: "locality weight must be in range [1, 100]"),
        Case(
            setting: "distribute:\n- {from: a/*, to: {\"a/*\": 60, \"b/*\": 30}}", path: ".distribute[0].to",
            reason: "total locality weight 90 != 100"),
        Case(
            setting: "distribute:\n- {from: a/*, to: {\"a/*/c\": 100}}", path: ".distribute[0].to",
            reason: "locality a/*/c wildcard '*' number can not exceed 1 and must be in the end"),
        Case(
            setting: "distribute:\n- {from: a/*, to: {\"a//c\": 100}}", path: ".distribute[0].to",
            reason: "locality a//c must not contain empty region/zone/subzone info"),
        Case(
            setting: "distribute:\n- {from: a/*, to: {\"a/*\": 50, \"a/b\": 50}}", path: ".distribute[0].to",
            reason: "overlap with previous specified ones"),
        Case(
            setting: "distribute:\n- {from: a, to: {\"a\": 100}}\n- {from: a/b, to: {\"a\": 100}}",
            path: ".distribute", reason: "locality a/b overlap with previous specified ones"),
        Case(
            setting: "failover:\n- {from: a, to: a}", path: ".failover[0]",
            reason: "locality lb failover settings must specify different regions"),
        Case(
            setting: "failover:\n- {from: a/b, to: c}", path: ".failover[0]",
            reason: "locality lb failover only specify region"),
        Case(
            setting: "failover:\n- {from: a, to: \"*\"}", path: ".failover[0]",
            reason: "locality lb failover region should not contain '*' wildcard"),
    ]

    @Test(arguments: refused)
    func refusedWithIstiodsReason(_ item: Case) throws {
        let result = decode(Self.rule(item.setting))
        #expect(result.objects.isEmpty)
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.trafficPolicy.loadBalancer.localityLbSetting\(item.path)")
        #expect(error.reason.contains(item.reason), "\(error.reason)")
    }

    @Test("failover without outlier detection is accepted with istiod's warning")
    func failoverWithoutOutlierDetectionWarns() {
        let result = decode(Self.rule("failover:\n- {from: a, to: b}", outlier: false))
        #expect(result.errors.isEmpty)
        #expect(result.objects.count == 1)
        #expect(result.warnings.map(\.fieldPath) == ["spec.trafficPolicy.loadBalancer.localityLbSetting"])
        #expect(result.warnings.first?.reason.contains("outlier detection policy must be provided for failover") == true)
    }

    @Test("the mesh config's setting is merged over istiod's default {enabled: true} and checked by the same rules")
    func meshConfigSetting() throws {
        #expect(MeshConfig.default.localityLbSetting == LocalityLoadBalancerSetting(enabled: true))
        let good = MeshConfigDecoder.decode(
            yaml: "localityLbSetting:\n  failover:\n  - {from: us-east, to: us-west}\n", file: "mesh.yaml")
        let setting = try #require(good.config?.localityLbSetting)
        #expect(setting.enabled == true)
        #expect(setting.failover == [.init(from: "us-east", to: "us-west")])
        let bad = MeshConfigDecoder.decode(
            yaml: "localityLbSetting:\n  failover:\n  - {from: us-east, to: us-east}\n", file: "mesh.yaml")
        #expect(bad.config == nil)
        #expect(bad.errors.map(\.fieldPath) == ["localityLbSetting.failover[0]"])
        #expect(bad.errors.first?.reason == "locality lb failover settings must specify different regions")
    }

    // MARK: - Endpoint locality

    static let service = """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: default}
        spec:
          clusterIP: 10.96.0.9
          selector: {app: reviews}
          ports: [{name: http, port: 9080}]
        """

    static func pod(_ name: String, ip: String, node: String? = nil, labels: String = "") -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: \(name), namespace: default, labels: {app: reviews\(labels)}}
        spec: {\(node.map { "nodeName: \($0), " } ?? "")containers: [{name: app, image: app}]}
        status: {podIP: \(ip)}
        """
    }

    static let nodes = """
        apiVersion: v1
        kind: Node
        metadata:
          name: node-a
          labels: {topology.kubernetes.io/region: eu, topology.kubernetes.io/zone: eu-1a, topology.istio.io/subzone: rack1}
        ---
        apiVersion: v1
        kind: Node
        metadata:
          name: node-b
          labels: {failure-domain.beta.kubernetes.io/region: us, failure-domain.beta.kubernetes.io/zone: us-2b}
        """

    static func localities(_ yaml: String) -> [String: String?] {
        let result = decode(yaml)
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
        let snapshot = MeshSnapshot.build(from: result.objects)
        var byAddress: [String: String?] = [:]
        for endpoint in snapshot.endpoints(hostname: "reviews.default.svc.cluster.local", port: 9080) {
            byAddress[endpoint.address] = endpoint.locality
        }
        return byAddress
    }

    @Test("a Pod's locality: its istio-locality label, else its Node's topology labels (the beta ones too)")
    func podLocalityFromNodeOrLabel() {
        let yaml = [
            Self.service, Self.nodes, Self.pod("on-a", ip: "10.1.0.1", node: "node-a"),
            Self.pod("on-b", ip: "10.1.0.2", node: "node-b"),
            Self.pod("labelled", ip: "10.1.0.3", node: "node-a", labels: ", istio-locality: ap.ap-3.r9"),
            Self.pod("nowhere", ip: "10.1.0.4", node: "node-unknown"),
        ].joined(separator: "\n---\n")
        #expect(
            Self.localities(yaml) == [
                "10.1.0.1": "eu/eu-1a/rack1", "10.1.0.2": "us/us-2b", "10.1.0.3": "ap/ap-3/r9", "10.1.0.4": nil,
            ])
        let nodes = decode(Self.nodes).objects.map(\.key)
        #expect(nodes == [ResourceKey(kind: .node, namespace: "", name: "node-a"), ResourceKey(kind: .node, namespace: "", name: "node-b")])
    }

    @Test("an EndpointSlice endpoint: its Pod's locality, else its nodeName's Node, else its zone alone")
    func sliceEndpointLocality() {
        let slice = """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: reviews-abc
              namespace: default
              labels: {kubernetes.io/service-name: reviews}
            addressType: IPv4
            ports: [{name: http, port: 9080}]
            endpoints:
            - {addresses: [10.1.0.1], targetRef: {kind: Pod, name: on-a}, nodeName: node-b, zone: us-2b}
            - {addresses: [10.1.0.5], nodeName: node-b}
            - {addresses: [10.1.0.6], zone: zone-x}
            - {addresses: [10.1.0.7]}
            """
        let yaml = [Self.service, Self.nodes, Self.pod("on-a", ip: "10.1.0.1", node: "node-a"), slice]
            .joined(separator: "\n---\n")
        #expect(
            Self.localities(yaml) == [
                "10.1.0.1": "eu/eu-1a/rack1", "10.1.0.5": "us/us-2b", "10.1.0.6": "/zone-x", "10.1.0.7": nil,
            ])
    }
}
