import EnvoyAPI
import MeshModel
import Testing
import XDSTranslator

/// `localityLbSetting` as istiod applies it to each client's load assignments: failover priorities (with outlier
/// detection only), `failover` region pairs, `distribute` weights, `failoverPriority` labels, and the client's
/// locality from its node or its own workload.
@Suite("Locality load balancing")
struct LocalityLoadBalancingTests {
    typealias Assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment
    static let cluster = "outbound|5432||db.internal.example"

    /// Five endpoints: two subzones of r1/z1, another zone of r1, and two other regions.
    static func entry(resolution: String = "STATIC") -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: db, namespace: data}
        spec:
          hosts: [db.internal.example]
          addresses: [240.0.0.5]
          resolution: \(resolution)
          ports:
          - {number: 5432, name: tcp, protocol: TCP}
          endpoints:
          - {address: 10.0.0.1, locality: r1/z1/s1, labels: {version: v1}}
          - {address: 10.0.0.2, locality: r1/z1/s2, labels: {version: v2}}
          - {address: 10.0.0.3, locality: r1/z2, labels: {version: v1}}
          - {address: 10.0.0.4, locality: r2/z3, labels: {version: v1}}
          - {address: 10.0.0.5, locality: r3/z4, labels: {version: v2}}
        """
    }

    static func rule(_ loadBalancer: String = "", outlier: Bool = true) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: db, namespace: data}
        spec:
          host: db.internal.example
          trafficPolicy:
            connectionPool: {tcp: {maxConnections: 10}}
        \(loadBalancer.isEmpty ? "" : "    loadBalancer:\n" + loadBalancer.split(separator: "\n").map { "      \($0)" }.joined(separator: "\n"))
        \(outlier ? "    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 30s}" : "")
        """
    }

    static func assignment(
        _ yaml: String, locality: String? = "r1/z1/s1", labels: [String: String] = [:],
        meshConfig: MeshConfig = .default, ip: String = "10.9.0.1"
    ) throws -> Assignment {
        let fixture = try MeshFixture(
            yaml: yaml, nodeID: sidecarID(ip: ip, pod: "client", namespace: "data"), labels: labels,
            meshConfig: meshConfig, locality: locality)
        return try #require(fixture.resources(TypeURL.endpoint, as: Assignment.self)[cluster])
    }

    /// Each endpoint address with its group's priority.
    static func priorities(_ assignment: Assignment) -> [String: Int] {
        var result: [String: Int] = [:]
        for group in assignment.endpoints {
            for endpoint in group.lbEndpoints {
                result[endpoint.endpoint.address.socketAddress.address] = Int(group.priority)
            }
        }
        return result
    }

    /// Each group's `region/zone/subzone` with its locality weight (nil when unset).
    static func weights(_ assignment: Assignment) -> [String: Int?] {
        var result: [String: Int?] = [:]
        for group in assignment.endpoints {
            let name = [group.locality.region, group.locality.zone, group.locality.subZone]
                .filter { !$0.isEmpty }.joined(separator: "/")
            result[name] = group.hasLoadBalancingWeight ? Int(group.loadBalancingWeight.value) : nil
        }
        return result
    }

    @Test("with outlier detection, the mesh default fails over: own subzone, zone, region, then other regions")
    func defaultFailoverPriorities() throws {
        let assignment = try Self.assignment(Self.entry() + "\n---\n" + Self.rule())
        #expect(
            Self.priorities(assignment) == [
                "10.0.0.1": 0, "10.0.0.2": 1, "10.0.0.3": 2, "10.0.0.4": 3, "10.0.0.5": 3,
            ])
    }

    @Test("without outlier detection nothing is prioritized: Envoy would never fail over")
    func noOutlierDetectionNoPriorities() throws {
        let assignment = try Self.assignment(Self.entry() + "\n---\n" + Self.rule(outlier: false))
        #expect(Set(Self.priorities(assignment).values) == [0])
        #expect(assignment.endpoints.allSatisfy { !$0.hasLoadBalancingWeight })
    }

    @Test("enabled: false in the DestinationRule, or in the mesh config, turns failover off")
    func disabled() throws {
        let off = try Self.assignment(
            Self.entry() + "\n---\n" + Self.rule("localityLbSetting: {enabled: false}"))
        #expect(Set(Self.priorities(off).values) == [0])
        var mesh = MeshConfig.default
        mesh.localityLbSetting = LocalityLoadBalancerSetting(enabled: false)
        let meshOff = try Self.assignment(Self.entry() + "\n---\n" + Self.rule(), meshConfig: mesh)
        #expect(Set(Self.priorities(meshOff).values) == [0])
        // The DestinationRule's own setting wins over the mesh config's.
        let ruleOn = try Self.assignment(
            Self.entry() + "\n---\n" + Self.rule("localityLbSetting: {enabled: true}"), meshConfig: mesh)
        #expect(Self.priorities(ruleOn)["10.0.0.4"] == 3)
    }

    @Test("a failover pair keeps its target region next and moves every other region after it")
    func failoverRegionPair() throws {
        let setting = """
            localityLbSetting:
              failover:
              - {from: r1, to: r3}
            """
        let assignment = try Self.assignment(Self.entry() + "\n---\n" + Self.rule(setting))
        #expect(
            Self.priorities(assignment) == [
                "10.0.0.1": 0, "10.0.0.2": 1, "10.0.0.3": 2, "10.0.0.5": 3, "10.0.0.4": 4,
            ])
        // A client in a region no pair names keeps the default order.
        let elsewhere = try Self.assignment(Self.entry() + "\n---\n" + Self.rule(setting), locality: "r2/z3")
        #expect(Self.priorities(elsewhere) == ["10.0.0.4": 0, "10.0.0.1": 1, "10.0.0.2": 1, "10.0.0.3": 1, "10.0.0.5": 1])
    }

    @Test("distribute: the matching entry's weights shared among the groups each pattern matches; others dropped")
    func distributeWeights() throws {
        let setting = """
            localityLbSetting:
              distribute:
              - from: r1/z1/*
                to: {"r1/z1/*": 70, "r1/z2/*": 20, "r2/*": 10}
            """
        let yaml = Self.entry() + "\n---\n" + Self.rule(setting, outlier: false)
        let assignment = try Self.assignment(yaml)
        #expect(Self.weights(assignment) == ["r1/z1/s1": 35, "r1/z1/s2": 35, "r1/z2": 20, "r2/z3": 10])
        #expect(Set(Self.priorities(assignment).values) == [0])
        // A client no entry names keeps every locality, weighted by its endpoints.
        let other = try Self.assignment(yaml, locality: "r3/z4")
        #expect(
            Self.weights(other) == ["r1/z1/s1": 1, "r1/z1/s2": 1, "r1/z2": 1, "r2/z3": 1, "r3/z4": 1])
        // The cluster balances by locality weight either way.
        let fixture = try MeshFixture(
            yaml: yaml, nodeID: sidecarID(ip: "10.9.0.1", pod: "client", namespace: "data"), locality: "r3/z4")
        let cluster = try #require(
            fixture.resources(TypeURL.cluster, as: Envoy_Config_Cluster_V3_Cluster.self)[Self.cluster])
        guard case .localityWeightedLbConfig? = cluster.commonLbConfig.localityConfigSpecifier else {
            Issue.record("the cluster does not balance by locality weight: \(cluster.commonLbConfig)")
            return
        }
    }

    @Test("failoverPriority: endpoints matching the client on more of the labels, in order, come first")
    func failoverPriorityLabels() throws {
        let setting = """
            localityLbSetting:
              failoverPriority: [topology.kubernetes.io/region, version]
            """
        let assignment = try Self.assignment(
            Self.entry() + "\n---\n" + Self.rule(setting), labels: ["app": "client", "version": "v1"])
        // Same region and version: 0; same region only: 1; another region: 2.
        #expect(
            Self.priorities(assignment) == [
                "10.0.0.1": 0, "10.0.0.3": 0, "10.0.0.2": 1, "10.0.0.4": 2, "10.0.0.5": 2,
            ])
        // `label=value` compares endpoints with that value, not the client's.
        let pinned = try Self.assignment(
            Self.entry() + "\n---\n"
                + Self.rule("localityLbSetting:\n  failoverPriority: [\"version=v2\"]"),
            labels: ["app": "client", "version": "v1"])
        #expect(
            Self.priorities(pinned) == ["10.0.0.2": 0, "10.0.0.5": 0, "10.0.0.1": 1, "10.0.0.3": 1, "10.0.0.4": 1])
    }

    @Test("a client without a node locality takes its own workload's (a WorkloadEntry at its address)")
    func localityFromOwnWorkload() throws {
        let workload = """
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: client, namespace: data}
            spec: {address: 10.9.0.7, locality: r2/z3, labels: {app: client}}
            """
        let assignment = try Self.assignment(
            Self.entry() + "\n---\n" + Self.rule() + "\n---\n" + workload, locality: nil, ip: "10.9.0.7")
        #expect(Self.priorities(assignment)["10.0.0.4"] == 0)
        #expect(Self.priorities(assignment)["10.0.0.1"] == 1)
    }

    @Test("DNS clusters carry their inline hosts prioritized the same way")
    func strictDNSInline() throws {
        let fixture = try MeshFixture(
            yaml: Self.entry(resolution: "DNS") + "\n---\n" + Self.rule(),
            nodeID: sidecarID(ip: "10.9.0.1", pod: "client", namespace: "data"), locality: "r1/z2")
        let cluster = try #require(
            fixture.resources(TypeURL.cluster, as: Envoy_Config_Cluster_V3_Cluster.self)[Self.cluster])
        #expect(cluster.type == .strictDns)
        #expect(Self.priorities(cluster.loadAssignment)["10.0.0.3"] == 0)
        #expect(Self.priorities(cluster.loadAssignment)["10.0.0.1"] == 1)
        #expect(Self.priorities(cluster.loadAssignment)["10.0.0.4"] == 2)
    }

    @Test("proxies in different localities share EDS inputs unless some setting reads the locality")
    func inputsCarryLocalityOnlyWhenRead() throws {
        func inputs(_ yaml: String, locality: String) throws -> EndpointInputs {
            let fixture = try MeshFixture(
                yaml: yaml, nodeID: sidecarID(ip: "10.9.0.1", pod: "client", namespace: "data"), locality: locality)
            return ProxyInputsIndex(fixture.snapshot).endpointInputs(of: fixture.proxy)
        }
        let plain = Self.entry() + "\n---\n" + Self.rule(outlier: false)
        #expect(try inputs(plain, locality: "r1/z1") == inputs(plain, locality: "r2/z3"))
        let failover = Self.entry() + "\n---\n" + Self.rule()
        #expect(try inputs(failover, locality: "r1/z1") != inputs(failover, locality: "r2/z3"))
        #expect(try inputs(failover, locality: "r1/z1").locality == "r1/z1")
    }

    @Test("trafficDistribution: PreferClose fails over by zone and region without any DestinationRule")
    func preferCloseService() throws {
        func yaml(_ distribution: String) -> String {
            var documents = [
                """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: data}
                spec:
                  clusterIP: 10.96.0.50
                  selector: {app: web}
                  ports: [{name: http, port: 80}]
                \(distribution)
                """
            ]
            let nodes = [("n1", "eu", "eu-1a"), ("n2", "eu", "eu-1b"), ("n3", "us", "us-1a")]
            for (name, region, zone) in nodes {
                documents.append(
                    """
                    apiVersion: v1
                    kind: Node
                    metadata:
                      name: \(name)
                      labels: {topology.kubernetes.io/region: \(region), topology.kubernetes.io/zone: \(zone)}
                    """)
            }
            for (index, node) in ["n1", "n2", "n3"].enumerated() {
                documents.append(
                    """
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: web-\(index), namespace: data, labels: {app: web}}
                    spec: {nodeName: \(node), containers: [{name: app, image: app}]}
                    status: {podIP: 10.2.0.\(index + 1)}
                    """)
            }
            return documents.joined(separator: "\n---\n")
        }
        func priorities(_ yaml: String) throws -> [String: Int] {
            let fixture = try MeshFixture(
                yaml: yaml, nodeID: sidecarID(ip: "10.9.0.1", pod: "client", namespace: "data"), locality: "eu/eu-1a")
            let assignment = try #require(
                fixture.resources(TypeURL.endpoint, as: Assignment.self)["outbound|80||web.data.svc.cluster.local"])
            return Self.priorities(assignment)
        }
        #expect(
            try priorities(yaml("  trafficDistribution: PreferClose")) == [
                "10.2.0.1": 0, "10.2.0.2": 1, "10.2.0.3": 2,
            ])
        #expect(Set(try priorities(yaml("")).values) == [0], "no distribution, no rule: no priorities")
    }
}
