import Discovery
import EnvoyAPI
import Logging
import MeshModel
import Registry
import SwiftProtobuf
import Testing
import XDSServer

@testable import Discovery

/// WorkloadEntry auto-registration through the provider's admission, with a real `ConfigStore`: the entry reaches
/// the snapshot (and a Service's endpoints) like any WorkloadEntry, outlives a disconnection for the grace period,
/// survives a reconnection, and is refused as istiod refuses it.
@Suite("Auto-registration")
struct AutoRegistrationTests {
    static let mesh = """
        apiVersion: networking.istio.io/v1
        kind: WorkloadGroup
        metadata: {name: vms, namespace: shop}
        spec:
          metadata: {labels: {app: cart}}
          template: {serviceAccount: cart, ports: {http: 8080}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: cart, namespace: shop}
        spec:
          selector: {app: cart}
          ports: [{name: http, port: 80, targetPort: 8080}]
        """

    struct Fixture {
        let store = ConfigStore(logger: Logger(label: "test"))
        let registration: WorkloadAutoRegistration
        let provider: MeshResourceProvider

        init(gracePeriod: Duration = .seconds(10)) {
            store.apply(
                file: "mesh.yaml", result: ConfigDecoder.decode(yaml: AutoRegistrationTests.mesh, file: "mesh.yaml"))
            registration = WorkloadAutoRegistration(
                store: store, gracePeriod: gracePeriod, logger: Logger(label: "test"))
            provider = MeshResourceProvider(snapshot: store.snapshot(), autoRegistration: registration)
        }

        func endpoints() -> [String] {
            store.snapshot().endpoints["cart.shop.svc.cluster.local"]?[80]?.map(\.address) ?? []
        }
    }

    static func node(ip: String, group: String?) -> Envoy_Config_Core_V3_Node {
        var node = Envoy_Config_Core_V3_Node()
        node.id = "sidecar~\(ip)~vm-\(ip).shop~shop.svc.cluster.local"
        var metadata = Google_Protobuf_Struct()
        if let group { metadata.fields["AUTO_REGISTER_GROUP"] = Google_Protobuf_Value(stringValue: group) }
        metadata.fields["NAMESPACE"] = Google_Protobuf_Value(stringValue: "shop")
        node.metadata = metadata
        return node
    }

    @Test func aProxyNamingAGroupRegistersAnEntryThatLeavesAfterTheGracePeriod() throws {
        let fixture = Fixture()
        #expect(fixture.endpoints().isEmpty)
        let client = try fixture.provider.admit(
            node: Self.node(ip: "10.9.0.5", group: "vms"), peer: PeerInfo(remotePeer: "t"))
        #expect(fixture.endpoints() == ["10.9.0.5"])
        let key = ResourceKey(kind: .workloadEntry, namespace: "shop", name: "vms-10.9.0.5")
        #expect(fixture.store.snapshot().objects[key] != nil)
        #expect(fixture.registration.statuses().map(\.connections) == [1])

        fixture.registration.observe(.disconnected(proxy: client.proxy.id, connection: 1))
        let status = try #require(fixture.registration.statuses().first)
        #expect(status.connections == 0 && status.disconnectedAt != nil && status.removalAt != nil)
        fixture.registration.removeExpired(at: .now)
        #expect(fixture.endpoints() == ["10.9.0.5"], "still within the grace period")
        fixture.registration.removeExpired(at: .now + .seconds(11))
        #expect(fixture.endpoints().isEmpty)
        #expect(fixture.registration.statuses().isEmpty)
    }

    @Test func aReconnectionWithinTheGracePeriodKeepsTheEntry() throws {
        let fixture = Fixture()
        let node = Self.node(ip: "10.9.0.6", group: "vms")
        let first = try fixture.provider.admit(node: node, peer: PeerInfo(remotePeer: "t"))
        // The new stream is admitted before the old one's end is seen, as istiod's connection count allows.
        _ = try fixture.provider.admit(node: node, peer: PeerInfo(remotePeer: "t"))
        fixture.registration.observe(.disconnected(proxy: first.proxy.id, connection: 1))
        fixture.registration.removeExpired(at: .now + .seconds(60))
        #expect(fixture.endpoints() == ["10.9.0.6"], "one connection is still live")
        fixture.registration.observe(.disconnected(proxy: first.proxy.id, connection: 2))
        _ = try fixture.provider.admit(node: node, peer: PeerInfo(remotePeer: "t"))
        fixture.registration.removeExpired(at: .now + .seconds(60))
        #expect(fixture.endpoints() == ["10.9.0.6"], "it came back before the grace period ended")
    }

    @Test func theNodesLocalityIsTheEntrys() throws {
        let fixture = Fixture()
        var node = Self.node(ip: "10.9.0.10", group: "vms")
        node.locality.region = "eu"
        node.locality.zone = "eu-1"
        node.locality.subZone = "rack-3"
        _ = try fixture.provider.admit(node: node, peer: PeerInfo(remotePeer: "t"))
        #expect(fixture.registration.statuses().first?.entry.spec.locality == "eu/eu-1/rack-3")
    }

    @Test func deletingTheGroupRemovesItsEntriesAtOnce() throws {
        let fixture = Fixture()
        _ = try fixture.provider.admit(node: Self.node(ip: "10.9.0.11", group: "vms"), peer: PeerInfo(remotePeer: "t"))
        fixture.registration.removeExpired(at: .now)
        #expect(fixture.endpoints() == ["10.9.0.11"], "the group is there: the connected proxy keeps its entry")
        let withoutGroup = AutoRegistrationTests.mesh.components(separatedBy: "---\n").dropFirst().joined()
        fixture.store.apply(file: "mesh.yaml", result: ConfigDecoder.decode(yaml: withoutGroup, file: "mesh.yaml"))
        fixture.registration.removeExpired(at: .now)
        #expect(fixture.endpoints().isEmpty && fixture.registration.statuses().isEmpty)
    }

    @Test func aProxyWithoutAGroupRegistersNothing() throws {
        let fixture = Fixture()
        _ = try fixture.provider.admit(node: Self.node(ip: "10.9.0.7", group: nil), peer: PeerInfo(remotePeer: "t"))
        #expect(fixture.endpoints().isEmpty && fixture.registration.statuses().isEmpty)
    }

    @Test func anUnknownGroupRefusesTheStream() throws {
        let fixture = Fixture()
        #expect {
            try fixture.provider.admit(node: Self.node(ip: "10.9.0.8", group: "nope"), peer: PeerInfo(remotePeer: "t"))
        } throws: { error in
            "\(error)".contains("cannot find WorkloadGroup shop/nope")
        }
        #expect(fixture.registration.statuses().isEmpty)
    }

    @Test func anotherServiceAccountThanTheTemplatesIsRefused() throws {
        let fixture = Fixture()
        var proxy = try Proxy(
            nodeID: "sidecar~10.9.0.9~vm.shop~shop.svc.cluster.local", metadata: ["AUTO_REGISTER_GROUP": "vms"],
            labels: [:])
        proxy.workloadIdentity = WorkloadIdentity(
            trustDomain: "cluster.local", namespace: "shop", serviceAccount: "web")
        #expect {
            try fixture.registration.register(proxy)
        } throws: { error in
            (error as? AdmissionError)?.reason == .permissionDenied
        }
        proxy.workloadIdentity?.serviceAccount = "cart"
        try fixture.registration.register(proxy)
        #expect(fixture.endpoints() == ["10.9.0.9"])
    }
}
