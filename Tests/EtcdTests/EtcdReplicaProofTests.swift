import EnvoyAPI
import EtcdClient
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import MeshTestSupport
import SwiftProtobuf
import Testing
import XDSClient

/// Issue 17's proofs that several `meshd serve` replicas on one real etcd behave as one control plane: a change
/// written with `meshd apply` reaches every replica; a compaction past the replicas' revision loses nothing; a
/// certificate one replica issued renews with another; and a SotW proxy moving between replicas sees the same
/// versions and content.
@Suite("meshd replicas behave as one", .serialized, .tags(.e2e, .etcd, .root))
struct EtcdReplicaProofTests {
    static let leaseTTL = 5
    static let vs = "VirtualService/default/reviews"

    @Test("a change written with meshd apply shows on every replica's /debug/changes, with one snapshot version")
    func applyReachesEveryReplica() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await MeshNetwork.with(label: "etcd-changes") { network in
            let set = try await ReplicaSet.start(["a", "b", "c"], etcd: etcd, in: network, leaseTTL: Self.leaseTTL)
            let before = try set.ids.map { try set.snapshotVersion($0) }
            try etcd.apply(
                EtcdFixtures.service(name: "reviews") + "---\n" + EtcdFixtures.virtualService(rev: "1"),
                named: "reviews.yaml", in: network)
            var versions: [String: String] = [:]
            for id in set.ids {
                let change = try await Poll.until(
                    "/debug/changes of \(id) to show \(Self.vs) added", timeout: .seconds(15)
                ) {
                    try set.change(touching: Self.vs, action: "added", on: id)
                }
                let object = try #require(change.objects.first { $0.key == Self.vs })
                #expect(object.source.hasPrefix("etcd:"), "\(id): \(Self.vs) came from \(object.source)")
                #expect(change.objects.contains { $0.key == "Service/default/reviews" && $0.action == "added" })
                versions[id] = change.snapshotVersion
                // The change is recorded at once; the push that serves its snapshot follows the debounce.
                let served = try? await Poll.until("\(id) to serve its change's snapshot", timeout: .seconds(10)) {
                    try set.snapshotVersion(id) == change.snapshotVersion ? true : nil
                }
                let serving = try set.snapshotVersion(id)
                #expect(served == true, "\(id) serves \(serving), not \(change.snapshotVersion)")
            }
            print("apply: /debug/changes snapshot versions \(versions)")
            #expect(Set(versions.values).count == 1, "the replicas built different snapshots: \(versions)")
            #expect(!before.contains(versions["a"] ?? ""), "the change did not move the snapshot version")
        }
    }

    @Test("etcd compacted past the replicas' revision while they are cut off: each relists and loses no change")
    func compactionWithSeveralReplicas() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await etcd.withSession { session in
            try await session.put(EtcdFixtures.vsKey(), value: Array(EtcdFixtures.virtualService(rev: "1").utf8))
            try await session.put(
                EtcdFixtures.vsKey("gone"), value: Array(EtcdFixtures.virtualService(name: "gone", rev: "1").utf8))
        }
        try await MeshNetwork.with(label: "etcd-compact") { network in
            let set = try await ReplicaSet.start(["a", "b", "c"], etcd: etcd, in: network, leaseTTL: Self.leaseTTL)
            for id in set.ids {
                let objects = try set.objectsInForce(id)
                #expect(objects.isSuperset(of: [Self.vs, "VirtualService/default/gone"]), "\(id): \(objects)")
            }
            let versionBefore = try set.snapshotVersion("a")
            // Cut every replica off, change the store (an update, a deletion, a new object), and compact past it.
            etcd.kill()
            try await etcd.restart(reachable: false)
            let compactedAt = try await etcd.withSession { session in
                try await session.put(EtcdFixtures.vsKey(), value: Array(EtcdFixtures.virtualService(rev: "2").utf8))
                _ = try await session.delete(EtcdFixtures.vsKey("gone"))
                try await session.put(
                    EtcdFixtures.vsKey("new"), value: Array(EtcdFixtures.virtualService(name: "new", rev: "1").utf8))
                let revision = try await session.currentRevision()
                try await session.compact(revision: revision, physical: false)
                return revision
            }
            try await etcd.restart()
            for id in set.ids {
                _ = try await Poll.until("\(id) to relist after the compaction", timeout: .seconds(20)) { () -> Bool? in
                    let objects = try set.objectsInForce(id)
                    return try set.log(id).contains("etcd compacted past revision")
                        && objects.contains("VirtualService/default/new")
                        && !objects.contains("VirtualService/default/gone") ? true : nil
                }
            }
            // The reference: a replica that starts now lists the store as it is. The relisted ones must serve the
            // same content, the update of `reviews` included (which /debug/configz cannot show).
            let fresh = try await ReplicaSet.start(["d"], etcd: etcd, in: network, leaseTTL: Self.leaseTTL)
            // Its store's snapshot, once it serves it too (the push follows /ready by a debounce).
            let reference = try await Poll.until("the fresh replica to serve what it listed", timeout: .seconds(10)) {
                () -> String? in
                let listed = try fresh.listedVersion("d")
                return try fresh.snapshotVersion("d") == listed ? listed : nil
            }
            #expect(reference != versionBefore, "the changes made while cut off did not change the snapshot")
            let settled = try? await Poll.until(
                "a, b and c to serve the fresh replica's snapshot", timeout: .seconds(20)
            ) {
                try set.ids.allSatisfy {
                    try set.snapshotVersion($0) == reference && set.listedVersion($0) == reference
                } ? true : nil
            }
            let served = try Dictionary(uniqueKeysWithValues: set.ids.map { ($0, try set.snapshotVersion($0)) })
            let configzA = try set["a"].admin("/debug/configz").body
            let configzD = try fresh["d"].admin("/debug/configz").body
            #expect(
                settled == true,
                "the fresh replica serves \(reference), the relisted ones \(served); a: \(configzA)\nd: \(configzD)")
            for id in set.ids {
                let changes = try set.changes(id)
                #expect(
                    changes.contains { $0.objects.contains { $0.key == Self.vs && $0.action == "updated" } },
                    "\(id) shows no update of \(Self.vs) in /debug/changes")
            }
            print("compaction: compacted at revision \(compactedAt); a, b and c relisted to snapshot \(reference)")
        }
    }

    @Test("a certificate replica A issued renews with replica B: B accepts A's client certificate, same root")
    func certificateRenewsOnAnotherReplica() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await MeshNetwork.with(label: "etcd-renew") { network in
            // B's TLS xDS listens on TCP: meshd knows a client certificate by the connection's address, which a
            // UNIX socket's peer does not have, so renewal by client certificate needs a TCP listener.
            let securePort = try MeshdProcess.freeLocalPort()
            let a = try await ReplicaSet.start(["a"], etcd: etcd, in: network, leaseTTL: Self.leaseTTL)["a"]
            let b = try await ReplicaSet.start(
                ["b"], etcd: etcd, in: network, leaseTTL: Self.leaseTTL,
                extraArguments: ["--secure-xds-address", "127.0.0.1:\(securePort)"])["b"]
            let rootPath = "\(a.stateDirectory)/root-cert.pem"
            let root = try String(contentsOfFile: rootPath, encoding: .utf8)
            #expect(try String(contentsOfFile: "\(b.stateDirectory)/root-cert.pem", encoding: .utf8) == root)
            let identity = "spiffe://cluster.local/ns/default/sa/sleep"
            let scratch = network.scratchDirectory

            // The first certificate: from A, for a bootstrap token A minted, over A's plaintext xDS socket.
            let first = try CSR.make(uri: identity, in: scratch, name: "first")
            let token = try a.token(namespace: "default", serviceAccount: "sleep")
            let issuedByA = try await CSR.send(
                first.csr, socket: a.xdsSocket, security: .plaintext, metadata: ["authorization": "Bearer \(token)"])
            #expect(try CSR.uris(ofLeafIn: issuedByA, in: scratch) == [identity])

            // B refuses a CSR without credentials.
            let second = try CSR.make(uri: identity, in: scratch, name: "second")
            let anonymous = await #expect(throws: RPCError.self) {
                try await CSR.send(second.csr, socket: b.xdsSocket, security: .plaintext)
            }
            #expect(anonymous?.code == .unauthenticated, "\(String(describing: anonymous))")

            // The renewal: B's TLS socket, A's certificate as the client certificate, no token.
            let withA = try CSR.mutualTLS(chain: issuedByA, keyPEM: first.keyPEM, rootPEM: root)
            let renewed = try await CSR.send(second.csr, tcpPort: securePort, security: withA)
            #expect(try CSR.uris(ofLeafIn: renewed, in: scratch) == [identity])
            #expect(
                try CSR.verify(renewed, rootPath: rootPath, in: scratch), "B's certificate does not chain to the root")
            #expect(
                try CSR.verify(issuedByA, rootPath: rootPath, in: scratch), "A's certificate does not chain to the root"
            )
            #expect(
                try CSR.publicKey(ofLeafIn: renewed, in: scratch) == (try CSR.publicKey(ofKey: second.keyPath)),
                "B did not certify the renewal CSR's key")
            #expect(
                try CSR.serial(ofLeafIn: renewed, in: scratch) != (try CSR.serial(ofLeafIn: issuedByA, in: scratch)))

            // A's certificate proves sleep's identity to B, and no other.
            let other = try CSR.make(uri: "spiffe://cluster.local/ns/default/sa/admin", in: scratch, name: "other")
            let stolen = await #expect(throws: RPCError.self) {
                try await CSR.send(other.csr, tcpPort: securePort, security: withA)
            }
            #expect(stolen?.code == .permissionDenied, "\(String(describing: stolen))")
        }
    }

    @Test("SotW: one client moving from replica A to replica B gets the same version_info and content per type")
    func sotwSameVersionsAcrossReplicas() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await MeshNetwork.with(label: "etcd-sotw") { network in
            try etcd.apply(SotW.config(timeout: "5s"), named: "mesh.yaml", in: network)
            let set = try await ReplicaSet.start(["a", "b"], etcd: etcd, in: network, leaseTTL: Self.leaseTTL)
            let (a, b) = (try set["a"], try set["b"])
            let token = try a.token(namespace: "default", serviceAccount: "sleep")

            let fromA = try await SotW.sync(socket: a.xdsSocket, token: token, held: [:])
            // Reconnecting to B as Envoy does: the versions it holds, no nonce.
            let fromB = try await SotW.sync(socket: b.xdsSocket, token: token, held: fromA.mapValues(\.versionInfo))
            try SotW.expectSame(fromA, fromB)
            print("SotW: versions on a and b \(SotW.versions(fromA))")

            // A change moves both replicas to the same new versions (the versions are not constant).
            try etcd.apply(SotW.config(timeout: "7s"), named: "mesh.yaml", in: network)
            let rds = SotW.types[3]
            let heldRDS = try #require(fromA[rds]?.versionInfo)
            var afterA: [String: Envoy_Service_Discovery_V3_DiscoveryResponse] = [:]
            var afterB: [String: Envoy_Service_Discovery_V3_DiscoveryResponse] = [:]
            _ = try await Poll.until(
                "both replicas to serve the new route", timeout: .seconds(20), interval: .milliseconds(300)
            ) { () -> Bool? in
                afterA = try await SotW.sync(socket: a.xdsSocket, token: token, held: [:])
                afterB = try await SotW.sync(socket: b.xdsSocket, token: token, held: [:])
                return afterA[rds]?.versionInfo != heldRDS && afterB[rds]?.versionInfo != heldRDS ? true : nil
            }
            try SotW.expectSame(afterA, afterB)
        }
    }
}

/// A SotW ADS client session against one replica: CDS and LDS (wildcard), then EDS and RDS for the names they
/// lead to, as Envoy asks.
enum SotW {
    static let types = [
        "type.googleapis.com/envoy.config.cluster.v3.Cluster",
        "type.googleapis.com/envoy.config.listener.v3.Listener",
        "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
        "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
    ]

    /// A Service with one WorkloadEntry behind it and a VirtualService whose route timeout tells versions apart.
    static func config(timeout: String) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: echo, namespace: default}
        spec:
          clusterIP: 10.96.0.97
          selector: {app: echo}
          ports: [{name: http, port: 9080, targetPort: 9080}]
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: echo, namespace: default}
        spec:
          address: 10.0.0.6
          serviceAccount: echo
          labels: {app: echo}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: echo, namespace: default}
        spec:
          hosts: [echo]
          http:
          - timeout: \(timeout)
            route: [{destination: {host: echo}}]

        """
    }

    static var node: Envoy_Config_Core_V3_Node {
        var node = Envoy_Config_Core_V3_Node()
        node.id = "sidecar~10.0.0.5~sleep.default~default.svc.cluster.local"
        node.metadata.fields["NAMESPACE"] = Google_Protobuf_Value(stringValue: "default")
        node.metadata.fields["SERVICE_ACCOUNT"] = Google_Protobuf_Value(stringValue: "sleep")
        return node
    }

    /// One stream: the last response of each of the four types. `held` is the version per type the client says
    /// it holds in its first requests (as Envoy does after a reconnect).
    static func sync(
        socket: String, token: String, held: [String: String]
    ) async throws -> [String: Envoy_Service_Discovery_V3_DiscoveryResponse] {
        try await withTimeout("a SotW sync on \(socket)", seconds: 20) {
            try await XDSClient.withADSStream(
                to: .unix(path: socket), metadata: ["authorization": "Bearer \(token)"]
            ) { stream in
                var responses = stream.responses.makeAsyncIterator()
                var latest: [String: Envoy_Service_Discovery_V3_DiscoveryResponse] = [:]
                let (cds, lds, eds, rds) = (types[0], types[1], types[2], types[3])
                stream.send(.make(type: cds, version: held[cds] ?? "", node: node))
                stream.send(.make(type: lds, version: held[lds] ?? ""))
                try await receive([cds, lds], from: &responses, into: &latest, on: socket)
                let clusters = try (latest[cds]?.resources ?? []).map {
                    try Envoy_Config_Cluster_V3_Cluster(unpackingAny: $0)
                }
                let listeners = try (latest[lds]?.resources ?? []).map {
                    try Envoy_Config_Listener_V3_Listener(unpackingAny: $0)
                }
                for type in [cds, lds] {
                    if let response = latest[type] {
                        stream.send(.make(type: type, version: response.versionInfo, nonce: response.nonce))
                    }
                }
                let edsNames = clusters.filter(\.hasEdsClusterConfig).map(\.name).sorted()
                let routeNames = try Set(listeners.flatMap { try routeConfigNames(of: $0) }).sorted()
                stream.send(.make(type: eds, names: edsNames, version: held[eds] ?? ""))
                stream.send(.make(type: rds, names: routeNames, version: held[rds] ?? ""))
                try await receive([eds, rds], from: &responses, into: &latest, on: socket)
                stream.finish()
                return latest
            }
        }
    }

    /// Reads responses until one of each `wanted` type has arrived, keeping the last of each type.
    static func receive(
        _ wanted: [String],
        from responses: inout AsyncThrowingStream<Envoy_Service_Discovery_V3_DiscoveryResponse, any Error>.Iterator,
        into latest: inout [String: Envoy_Service_Discovery_V3_DiscoveryResponse], on socket: String
    ) async throws {
        while !wanted.allSatisfy({ latest[$0] != nil }) {
            guard let response = try await responses.next() else {
                throw HarnessError("the stream on \(socket) ended before \(wanted) arrived")
            }
            latest[response.typeURL] = response
        }
    }

    /// The RDS names a listener's HTTP connection managers ask for.
    static func routeConfigNames(of listener: Envoy_Config_Listener_V3_Listener) throws -> [String] {
        let chains = listener.filterChains + (listener.hasDefaultFilterChain ? [listener.defaultFilterChain] : [])
        return try chains.flatMap(\.filters).compactMap { filter -> String? in
            guard filter.typedConfig.typeURL.hasSuffix("HttpConnectionManager") else { return nil }
            let manager = try Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(
                unpackingAny: filter.typedConfig)
            guard case .rds(let rds)? = manager.routeSpecifier else { return nil }
            return rds.routeConfigName
        }
    }

    static func versions(_ responses: [String: Envoy_Service_Discovery_V3_DiscoveryResponse]) -> [String: String] {
        Dictionary(
            uniqueKeysWithValues: responses.map {
                (String($0.key.split(separator: ".").last ?? ""), $0.value.versionInfo)
            })
    }

    /// The resources' bytes, in a stable order.
    static func content(_ response: Envoy_Service_Discovery_V3_DiscoveryResponse?) -> [Data] {
        (response?.resources ?? []).map(\.value).sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Every type answered on both, non-empty, with the same version_info and the same resources.
    static func expectSame(
        _ first: [String: Envoy_Service_Discovery_V3_DiscoveryResponse],
        _ second: [String: Envoy_Service_Discovery_V3_DiscoveryResponse],
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws {
        for type in types {
            let one = try #require(first[type], "no \(type) from the first replica", sourceLocation: sourceLocation)
            let other = try #require(second[type], "no \(type) from the second replica", sourceLocation: sourceLocation)
            #expect(
                !one.versionInfo.isEmpty && !one.resources.isEmpty, "\(type): \(one.versionInfo)",
                sourceLocation: sourceLocation)
            #expect(
                other.versionInfo == one.versionInfo, "\(type) version_info differs", sourceLocation: sourceLocation)
            #expect(content(other) == content(one), "\(type) content differs", sourceLocation: sourceLocation)
        }
    }
}

/// Runs `body`, throwing if it has not finished after `seconds`.
func withTimeout<T: Sendable>(
    _ what: String, seconds: Int, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw HarnessError("timed out after \(seconds) s waiting for \(what)")
        }
        return value
    }
}

/// CSRs made with openssl, sent to a replica's `IstioCertificateService`, and the certificates checked with openssl.
enum CSR {
    struct Request {
        var csr: String
        var keyPath: String
        var keyPEM: String
    }

    static func openssl(_ arguments: [String]) throws -> String {
        let result = try Subprocess.run(["/usr/bin/openssl"] + arguments, timeout: .seconds(30))
        guard result.succeeded else {
            throw HarnessError("openssl \(arguments.prefix(2)) exited with \(result.status): \(result.stderr)")
        }
        return result.stdout
    }

    /// A new P-256 key and a CSR for `uri`, in `directory`.
    static func make(uri: String, in directory: URL, name: String) throws -> Request {
        let key = directory.appendingPathComponent("\(name)-key.pem").path
        let csr = directory.appendingPathComponent("\(name).csr").path
        _ = try openssl([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", csr, "-subj", "/O=meshd-test", "-addext", "subjectAltName=URI:\(uri)",
        ])
        return Request(
            csr: try String(contentsOfFile: csr, encoding: .utf8), keyPath: key,
            keyPEM: try String(contentsOfFile: key, encoding: .utf8))
    }

    static func pemSource(_ pem: String) -> TLSConfig.CertificateSource { .bytes(Array(pem.utf8), format: .pem) }

    /// Presents `chain` (with its key) and checks the server against `rootPEM`, without host names.
    static func mutualTLS(
        chain: [String], keyPEM: String, rootPEM: String
    ) throws -> HTTP2ClientTransport.Posix.TransportSecurity {
        .mTLS(
            certificateChain: chain.flatMap(certificates(in:)).map(pemSource),
            privateKey: .bytes(Array(keyPEM.utf8), format: .pem)
        ) { config in
            config.trustRoots = .certificates(certificates(in: rootPEM).map(pemSource))
            config.serverCertificateVerification = .noHostnameVerification
        }
    }

    /// `CreateCertificate` on the replica behind `socket`: the PEM chain it returns.
    static func send(
        _ csr: String, socket: String? = nil, tcpPort: Int? = nil,
        security: HTTP2ClientTransport.Posix.TransportSecurity, metadata: Metadata = [:]
    ) async throws -> [String] {
        let transport: HTTP2ClientTransport.Posix
        if let socket {
            transport = try HTTP2ClientTransport.Posix(
                target: .unixDomainSocket(path: socket), transportSecurity: security)
        } else {
            transport = try HTTP2ClientTransport.Posix(
                target: .ipv4(address: "127.0.0.1", port: tcpPort ?? 0), transportSecurity: security)
        }
        var options = CallOptions.defaults
        options.timeout = .seconds(15)
        var request = Istio_V1_Auth_IstioCertificateRequest()
        request.csr = csr
        let message = request
        return try await withGRPCClient(transport: transport) { grpc in
            try await Istio_V1_Auth_IstioCertificateService.Client(wrapping: grpc).createCertificate(
                message, metadata: metadata, options: options
            ).certChain
        }
    }

    /// Splits PEM text into its certificates.
    static func certificates(in pem: String) -> [String] {
        let end = "-----END CERTIFICATE-----"
        return pem.components(separatedBy: end).compactMap { part in
            guard let start = part.range(of: "-----BEGIN CERTIFICATE-----") else { return nil }
            return String(part[start.lowerBound...]) + end + "\n"
        }
    }

    /// Writes the leaf and the rest of `chain` to files: (leaf, rest).
    static func files(_ chain: [String], in directory: URL) throws -> (leaf: String, rest: String) {
        let all = chain.flatMap(certificates(in:))
        guard let leaf = all.first else { throw HarnessError("an empty certificate chain") }
        let name = UUID().uuidString
        let leafPath = directory.appendingPathComponent("\(name)-leaf.pem").path
        let restPath = directory.appendingPathComponent("\(name)-rest.pem").path
        try leaf.write(toFile: leafPath, atomically: true, encoding: .utf8)
        try all.dropFirst().joined().write(toFile: restPath, atomically: true, encoding: .utf8)
        return (leafPath, restPath)
    }

    /// Whether the chain's leaf verifies against the root at `rootPath` (the rest of the chain as intermediates).
    static func verify(_ chain: [String], rootPath: String, in directory: URL) throws -> Bool {
        let (leaf, rest) = try files(chain, in: directory)
        let result = try Subprocess.run(
            ["/usr/bin/openssl", "verify", "-CAfile", rootPath, "-untrusted", rest, leaf], timeout: .seconds(30))
        return result.succeeded && result.stdout.contains(": OK")
    }

    static func uris(ofLeafIn chain: [String], in directory: URL) throws -> [String] {
        let text = try openssl([
            "x509", "-in", try files(chain, in: directory).leaf, "-noout", "-ext", "subjectAltName",
        ])
        return text.components(separatedBy: CharacterSet(charactersIn: ", \n")).filter { $0.hasPrefix("URI:") }.map {
            String($0.dropFirst(4))
        }
    }

    static func serial(ofLeafIn chain: [String], in directory: URL) throws -> String {
        try openssl(["x509", "-in", try files(chain, in: directory).leaf, "-noout", "-serial"])
    }

    static func publicKey(ofLeafIn chain: [String], in directory: URL) throws -> String {
        try openssl(["x509", "-in", try files(chain, in: directory).leaf, "-noout", "-pubkey"])
    }

    static func publicKey(ofKey path: String) throws -> String {
        try openssl(["pkey", "-in", path, "-pubout"])
    }
}
