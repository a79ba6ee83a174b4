import EnvoyAPI
import Foundation
import SwiftProtobuf
import SyntheticMesh
import Testing

@testable import meshd_load

/// S7's measurement: which service an EDS resource belongs to, whether it holds a move, and the accounting of
/// received and superseded proxy-move pairs.
@Suite struct ChurnRecorderTests {
    static func assignment(cluster: String, addresses: [String]) throws -> [UInt8] {
        var assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment()
        assignment.clusterName = cluster
        var locality = Envoy_Config_Endpoint_V3_LocalityLbEndpoints()
        for address in addresses {
            var endpoint = Envoy_Config_Endpoint_V3_LbEndpoint()
            endpoint.endpoint.address.socketAddress.address = address
            endpoint.endpoint.address.socketAddress.portValue = 9080
            locality.lbEndpoints.append(endpoint)
        }
        assignment.endpoints = [locality]
        return try assignment.serializedBytes()
    }

    @Test func theServiceComesFromTheClusterNamesHost() throws {
        #expect(
            ChurnRecorder.service(
                ofAssignment: try Self.assignment(
                    cluster: "outbound|9080|v1|svc-12.ns-2.svc.cluster.local", addresses: [])) == 12)
        #expect(
            ChurnRecorder.service(
                ofAssignment: try Self.assignment(cluster: "outbound|9090||svc-0.ns-0.svc.cluster.local", addresses: [])
            ) == 0)
        #expect(
            ChurnRecorder.service(ofAssignment: try Self.assignment(cluster: "inbound|9080||", addresses: [])) == nil)
        #expect(
            ChurnRecorder.service(
                ofAssignment: try Self.assignment(cluster: "outbound|80||svc-x.ns-1.svc.cluster.local", addresses: []))
                == nil)
        #expect(
            ChurnRecorder.service(
                ofAssignment: try Self.assignment(
                    cluster: "outbound|80||reviews.default.svc.cluster.local", addresses: [])) == nil)
        #expect(ChurnRecorder.service(ofAssignment: [0x0A, 0x40, 0x61]) == nil, "truncated bytes")
    }

    @Test func aMoveIsStampedOncePerProxyOnlyWhenItsAddressArrives() throws {
        let churn = ChurnRecorder(proxies: 2)
        let cluster = "outbound|9080||svc-7.ns-1.svc.cluster.local"
        churn.start()
        churn.moved(service: 7, to: "10.200.1.13", at: .now)
        // A prefix of the address is not the address; nor is another service's cluster holding it.
        churn.received(proxy: 0, assignments: [try Self.assignment(cluster: cluster, addresses: ["10.200.1.130"])])
        churn.received(
            proxy: 0,
            assignments: [
                try Self.assignment(cluster: "outbound|9080||svc-8.ns-1.svc.cluster.local", addresses: ["10.200.1.13"])
            ])
        #expect(churn.summary().received == 0)
        #expect(churn.outstanding() == 2)
        churn.received(
            proxy: 0, assignments: [try Self.assignment(cluster: cluster, addresses: ["10.0.0.1", "10.200.1.13"])])
        churn.received(proxy: 0, assignments: [try Self.assignment(cluster: cluster, addresses: ["10.200.1.13"])])
        #expect(churn.summary().received == 1, "the repeat is not counted again")
        #expect(churn.outstanding() == 1)

        // Service 7 moves again before proxy 1 got the first move: that pair is superseded.
        churn.moved(service: 7, to: "10.200.2.13", at: .now)
        churn.received(proxy: 1, assignments: [try Self.assignment(cluster: cluster, addresses: ["10.200.2.13"])])
        churn.received(proxy: 0, assignments: [try Self.assignment(cluster: cluster, addresses: ["10.200.2.13"])])
        let summary = churn.summary()
        #expect(summary.moves == 2 && summary.expected == 4)
        #expect(summary.received == 3 && summary.superseded == 1)
        #expect(churn.outstanding() == 0)
        #expect(summary.p50Ms != nil && summary.p99Ms != nil && summary.maxMs >= 0)
        #expect(summary.lastTenthFullMs != nil, "the second move reached both proxies")
    }

    @Test func nothingIsRecordedWhileInactive() throws {
        let churn = ChurnRecorder(proxies: 1)
        churn.moved(service: 3, to: "10.200.1.4", at: .now)
        churn.received(
            proxy: 0,
            assignments: [
                try Self.assignment(cluster: "outbound|9080||svc-3.ns-0.svc.cluster.local", addresses: ["10.200.1.4"])
            ])
        #expect(churn.summary().received == 0)
    }
}
