import EnvoyAPI
import Testing
import XDSTranslator

@Suite("EDS")
struct EndpointTests {
    typealias Assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment

    private func addresses(_ assignment: Assignment?) -> [String] {
        (assignment?.endpoints ?? []).flatMap(\.lbEndpoints).map(\.endpoint.address.socketAddress.address)
    }

    @Test("the whole-service assignment holds every endpoint; a subset's only those with its labels")
    func subsetEndpoints() throws {
        let assignments = try Bookinfo.fixture().resources(TypeURL.endpoint, as: Assignment.self)
        #expect(
            addresses(assignments["outbound|9080||\(Bookinfo.reviews)"]) == ["10.1.0.21", "10.1.0.22", "10.1.0.23"])
        #expect(addresses(assignments["outbound|9080|v2|\(Bookinfo.reviews)"]) == ["10.1.0.22"])
        #expect(addresses(assignments["outbound|9080|v3|\(Bookinfo.reviews)"]) == ["10.1.0.23"])
    }

    @Test("a subset that matches no endpoint still gets an (empty) assignment")
    func emptySubset() throws {
        let assignments = try Bookinfo.fixture().resources(TypeURL.endpoint, as: Assignment.self)
        let empty = try #require(assignments["outbound|9080|v4|\(Bookinfo.reviews)"])
        #expect(empty.clusterName == "outbound|9080|v4|\(Bookinfo.reviews)")
        #expect(empty.endpoints.isEmpty)
    }

    @Test("every EDS cluster of CDS has an assignment and nothing else does")
    func matchesCDS() throws {
        let fixture = try Bookinfo.fixture()
        let edsClusters = fixture.resources(TypeURL.cluster, as: Envoy_Config_Cluster_V3_Cluster.self)
            .filter { $0.value.type == .eds }.keys.sorted()
        #expect(fixture.messages(TypeURL.endpoint).map(\.name) == edsClusters)
    }

    @Test("endpoints are grouped by locality, carry their weight, and are HEALTHY on the target port")
    func localitiesAndWeights() throws {
        let yaml = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata:
              name: db
              namespace: data
            spec:
              hosts: [db.internal.example]
              addresses: [240.0.0.5]
              resolution: STATIC
              ports:
              - {number: 5432, name: tcp, protocol: TCP, targetPort: 15432}
              endpoints:
              - {address: 192.168.10.2, locality: us-east1/us-east1-b}
              - {address: 192.168.10.1, locality: us-east1/us-east1-a/rack-1, weight: 3}
              - {address: 192.168.10.3, locality: us-east1/us-east1-a/rack-1}
            """
        let assignments = try MeshFixture(yaml: yaml, nodeID: sidecarID(ip: "10.1.5.9", pod: "client"))
            .resources(TypeURL.endpoint, as: Assignment.self)
        let assignment = try #require(assignments["outbound|5432||db.internal.example"])
        #expect(assignment.endpoints.map(\.locality.zone) == ["us-east1-a", "us-east1-b"])
        #expect(assignment.endpoints.first?.locality.region == "us-east1")
        #expect(assignment.endpoints.first?.locality.subZone == "rack-1")
        let first = try #require(assignment.endpoints.first)
        #expect(first.lbEndpoints.map(\.endpoint.address.socketAddress.address) == ["192.168.10.1", "192.168.10.3"])
        #expect(
            first.lbEndpoints.map { $0.hasLoadBalancingWeight ? Int($0.loadBalancingWeight.value) : nil } == [3, nil])
        let all = assignment.endpoints.flatMap(\.lbEndpoints)
        #expect(all.allSatisfy { $0.healthStatus == .healthy })
        #expect(all.allSatisfy { $0.endpoint.address.socketAddress.portValue == 15432 })
    }

    @Test("a locality whose weights sum past uint32 (Pods and WorkloadEntries together) is scaled to fit")
    func localityWeightSumFitsUInt32() throws {
        func entry(_ name: String, _ address: String, weight: Int, locality: String? = nil) -> String {
            """
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: \(name), namespace: default}
            spec:
              address: \(address)
              labels: {app: big}
              weight: \(weight)
            \(locality.map { "  locality: \($0)" } ?? "")
            """
        }
        let yaml = [
            """
            apiVersion: v1
            kind: Service
            metadata: {name: big, namespace: default}
            spec:
              clusterIP: 10.96.9.9
              selector: {app: big}
              ports:
              - {name: http, port: 80}
            """,
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: big-pod, namespace: default, labels: {app: big}}
            status: {podIP: 10.8.0.1}
            """,
            entry("vm-a", "10.9.0.1", weight: Int(UInt32.max)),
            entry("vm-b", "10.9.0.2", weight: Int(UInt32.max)),
            entry("vm-c", "10.9.0.3", weight: 2),
            entry("vm-far", "10.9.0.4", weight: 7, locality: "far/zone-1"),
        ].joined(separator: "\n---\n")
        let assignments = try MeshFixture(yaml: yaml, nodeID: sidecarID(ip: "10.1.5.9", pod: "client"))
            .resources(TypeURL.endpoint, as: Assignment.self)
        let assignment = try #require(assignments["outbound|80||big.default.svc.cluster.local"])
        #expect(assignment.endpoints.count == 2)
        let near = try #require(assignment.endpoints.first { !$0.hasLocality })
        let weights = Dictionary(
            uniqueKeysWithValues: near.lbEndpoints.map {
                ($0.endpoint.address.socketAddress.address, UInt64($0.loadBalancingWeight.value))
            })
        #expect(weights.count == 4)
        #expect(weights.values.reduce(0, +) <= UInt64(UInt32.max), "\(weights)")
        // Proportions kept: the two heavy hosts split the locality; the light ones keep the minimum of 1.
        #expect(weights["10.9.0.1"] == weights["10.9.0.2"])
        #expect((weights["10.9.0.1"] ?? 0) > UInt64(UInt32.max) / 2 - 8)
        #expect(weights["10.9.0.3"] == 1)
        #expect(weights["10.8.0.1"] == 1)
        // Another locality under the limit is left as written.
        let far = try #require(assignment.endpoints.first { $0.hasLocality })
        #expect(far.lbEndpoints.map(\.loadBalancingWeight.value) == [7])
    }
}
