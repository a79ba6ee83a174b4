import Foundation
import MeshModel
import MeshTestSupport
import Registry
import SwiftProtobuf
import Testing
import XDSTranslator

@testable import AdminServer
@testable import Discovery
@testable import XDSServer

/// `config_dump` and `diff` read what each proxy was sent and ACKed, as the ADS server recorded it: they never
/// generate the current side anew (issue 15, item 4).
@Suite("config_dump and diff show what was sent")
struct ConfigDumpSentTests {
    static let ratingsCluster = "outbound|9091||ratings.default.svc.cluster.local"

    /// The config dump of `proxy` and its `cds` section.
    static func dump(
        _ meshd: InProcessMeshd, _ proxy: SimulatedProxy
    ) async throws -> (top: [String: Any], cds: [String: Any]) {
        let encoded = proxy.nodeID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? proxy.nodeID
        let top = try #require(try await meshd.json("/debug/config_dump?proxyID=\(encoded)") as? [String: Any])
        let cds = try #require((top["types"] as? [String: Any])?["cds"] as? [String: Any])
        return (top, cds)
    }

    static func names(_ section: [String: Any]) -> [String] {
        (section["resources"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    @Test("new provider content that was not pushed does not show; after the push and the ACK it does")
    func configDumpShowsTheSentVersion() async throws {
        try await InProcessMeshd.with(files: OpsConfig.files) { meshd in
            let proxy = OpsConfig.proxy("productpage-v1", ip: "10.44.0.5")
            try await withProxies([proxy], on: meshd) {
                try await meshd.waitUntilSynced([proxy.nodeID])
                let (top, cds) = try await Self.dump(meshd, proxy)
                let version = try #require(cds["version"] as? String)
                #expect(top["protocol"] as? String == "sotw")
                #expect(cds["ackedVersion"] as? String == version, "the proxy ACKed what it was sent: \(cds)")
                #expect((cds["acked"] as? [String: Any])?["version"] as? String == version)
                #expect((cds["nonce"] as? String)?.isEmpty == false)
                let rows = cds["resources"] as? [[String: Any]] ?? []
                let acked = try #require(cds["ackedResources"] as? [String: String])
                #expect(
                    acked
                        == Dictionary(
                            uniqueKeysWithValues: rows.compactMap { row in
                                (row["name"] as? String).flatMap { name in
                                    (row["version"] as? String).map { (name, $0) }
                                }
                            }))
                #expect(!Self.names(cds).contains(Self.ratingsCluster))

                // The provider is given a snapshot with the ratings Service, and nothing is pushed.
                let current = meshd.store.snapshot()
                var objects = current.objects
                for object in ConfigDecoder.decode(yaml: OpsConfig.ratings, file: "ratings.yaml").objects {
                    objects[object.key] = object
                }
                let generation = meshd.provider.generation + 1
                meshd.provider.update(MeshSnapshot.build(from: Array(objects.values)), generation: generation)
                let connection = try #require(meshd.provider.connected.connection(id: proxy.nodeID))
                let fresh = await meshd.provider.resources(.cluster, for: connection.client)
                #expect(
                    fresh.resources.contains { $0.name == Self.ratingsCluster },
                    "a fresh translation has the new cluster")

                let (unpushedTop, unpushed) = try await Self.dump(meshd, proxy)
                #expect(unpushed["version"] as? String == version, "config_dump shows what was sent, not a translation")
                #expect(Self.names(unpushed) == Self.names(cds))
                #expect(
                    unpushedTop["generation"] as? Int == Int(generation),
                    "the top level shows the control plane's generation")
                #expect(unpushed["generation"] as? Int == cds["generation"] as? Int)

                // Pushed and ACKed: now it shows.
                meshd.ads.push(PushRequest(generation: generation))
                _ = try await Poll.until("config_dump to show the pushed and ACKed clusters", timeout: .seconds(20)) {
                    () -> Bool? in
                    guard let (_, pushed) = try? await Self.dump(meshd, proxy),
                        Self.names(pushed).contains(Self.ratingsCluster),
                        let sent = pushed["version"] as? String, sent != version,
                        pushed["ackedVersion"] as? String == sent
                    else { return nil }
                    return true
                }
            }
        }
    }

    /// A proxy of the ops mesh, what the translator gives it, and a diff target whose sent CDS is `sent`.
    static func target(sentClusters: (inout [XDSResource]) throws -> Void) throws -> (DiffTarget, MeshSnapshot) {
        let objects = OpsConfig.files.sorted { $0.key < $1.key }.flatMap {
            ConfigDecoder.decode(yaml: $0.value, file: $0.key).objects
        }
        let snapshot = MeshSnapshot.build(from: objects)
        let proxy = try Proxy(
            nodeID: "sidecar~10.44.0.5~productpage-v1.default~default.svc.cluster.local", metadata: [:], labels: [:])
        var clusters = try XDSTranslator().generate(typeURL: XDSType.cluster.rawValue, snapshot: snapshot, proxy: proxy)
            .map { try XDSResource(name: $0.name, resource: $0.resource) }
        try sentClusters(&clusters)
        let sent = SentTypeState(
            type: .cluster, wildcard: true, names: [], lastSent: nil, acked: nil, ackedVersion: nil,
            rejectedVersion: nil, lastNack: nil,
            heldVersions: Dictionary(uniqueKeysWithValues: clusters.map { ($0.name, $0.version) }), ackedVersions: [:],
            heldResources: clusters.sorted { $0.name < $1.name })
        return (DiffTarget(proxy: proxy, sent: [.cluster: sent]), snapshot)
    }

    @Test("diff compares what the proxy was sent with the proposed config: a sent cluster the config lacks is removed")
    func diffCurrentSideIsWhatWasSent() throws {
        var gone = Google_Protobuf_StringValue()
        gone.value = "sent earlier"
        let (target, snapshot) = try Self.target {
            $0.append(
                try XDSResource(name: "outbound|1||gone.example.com", resource: Google_Protobuf_Any(message: gone)))
        }
        let diff = DiffPlanner().diff(for: target, to: snapshot, withLineDiffs: true)
        #expect(
            diff.resources.map { "\($0.type) \($0.name) \($0.action)" } == ["cds outbound|1||gone.example.com removed"])

        // What was sent equals what the proposed config gives: nothing to show, and types never sent are left out.
        let (same, _) = try Self.target { _ in }
        #expect(DiffPlanner().diff(for: same, to: snapshot, withLineDiffs: true).resources.isEmpty)
    }
}
