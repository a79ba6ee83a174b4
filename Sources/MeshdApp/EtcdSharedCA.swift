import CertificateAuthority
public import EtcdClient
import Foundation
public import Registry

/// One self-signed CA for every replica on one etcd: the root certificate, its key and the bootstrap-token key live
/// under `<prefix>/_ca/`, and each replica copies them into its state directory before its CA loads.
///
/// The first replica creates them: if etcd holds none, it loads (or generates) its local root and token key and
/// offers them in one transaction that succeeds only if all three keys are still absent (create-if-absent). A replica
/// that loses that race, or starts later, takes etcd's copy instead, replacing its local files. So every replica
/// signs with the same root and accepts the same bootstrap tokens.
///
/// The keys are stored in etcd as PEM, unencrypted (as istiod keeps them in the `istio-ca-secret` Secret): protect
/// etcd with TLS, authentication and a role limited to the prefix. A plug-in CA directory is not shared this way.
public enum EtcdSharedCA {
    /// What happened.
    public enum Outcome: Sendable, Equatable {
        /// This replica's root and token key are now the shared ones.
        case created
        /// etcd's root and token key were copied into the state directory.
        case loaded
    }

    static let files = ["root-cert.pem", "root-key.pem", "token-key.pem"]
    /// The root the last rotation replaced, trusted during the overlap; stored only after a rotation.
    static let previousFile = "previous-root-cert.pem"

    /// Makes `stateDirectory` hold the mesh's shared root and token key (see the type). Throws when etcd holds only
    /// part of them (nothing is guessed: the operator must repair `<prefix>/_ca/`), when etcd cannot be reached, or
    /// when the local CA cannot be loaded.
    public static func share(
        connection: EtcdConnection, layout: EtcdKeyLayout, stateDirectory: String, trustDomain: String
    ) async throws -> Outcome {
        let keys = files.map { layout.reservedKey("ca", $0) }
        let previousKey = layout.reservedKey("ca", previousFile)
        return try await EtcdClient.withAnySession(connection) { session in
            let stored = try await session.transaction(EtcdTransaction(success: (keys + [previousKey]).map { .get($0) }))
            if let values = try complete(stored.reads, keys: keys) {
                let previous = stored.reads.first { $0.key == previousKey }?.value
                try install(Array(zip(files, values)), previous: previous, in: stateDirectory)
                return .loaded
            }
            var options = CAOptions()
            options.trustDomain = trustDomain
            _ = try CertificateAuthority.load(stateDirectory: stateDirectory, pluginDirectory: nil, options: options)
            let local = try files.map { name -> [UInt8] in
                guard let data = FileManager.default.contents(atPath: "\(stateDirectory)/\(name)") else {
                    throw MeshdSetupError("shared CA: cannot read \(stateDirectory)/\(name)")
                }
                return Array(data)
            }
            let offer = EtcdTransaction(
                comparisons: keys.map { .absent($0) },
                success: zip(keys, local).map { .put($0.0, value: $0.1) },
                failure: keys.map { .get($0) })
            let result = try await session.transaction(offer)
            if result.succeeded { return .created }
            guard let values = try complete(result.reads, keys: keys) else {
                throw MeshdSetupError("shared CA: another replica is writing \(layout.reservedKey("ca")); retry")
            }
            try install(Array(zip(files, values)), previous: nil, in: stateDirectory)
            return .loaded
        }
    }

    /// The three values in file order, nil when etcd holds none; throws when it holds some but not all.
    static func complete(_ reads: [EtcdKeyValue], keys: [String]) throws -> [[UInt8]]? {
        let byKey = Dictionary(reads.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        let present = keys.compactMap { byKey[$0] }
        if present.isEmpty { return nil }
        guard present.count == keys.count else {
            let missing = keys.filter { byKey[$0] == nil }
            throw MeshdSetupError(
                "shared CA: etcd holds only part of it (missing \(missing.joined(separator: ", "))); "
                    + "restore or delete the keys under the same folder")
        }
        return present
    }

    /// Writes the shared files into the state directory (keys 0600, each by an atomic rename), and the shared
    /// previous root when there is one; otherwise drops a previous root left from a local rotation (it belonged to
    /// the replaced local root).
    static func install(_ named: [(String, [UInt8])], previous: [UInt8]?, in stateDirectory: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        for (name, value) in named + (previous.map { [(previousFile, $0)] } ?? []) {
            let path = "\(stateDirectory)/\(name)"
            let temporary = "\(path).etcd"
            let mode = name.hasSuffix("-key.pem") ? 0o600 : 0o644
            guard
                manager.createFile(atPath: temporary, contents: Data(value), attributes: [.posixPermissions: mode])
            else { throw MeshdSetupError("shared CA: cannot write \(temporary)") }
            if rename(temporary, path) != 0 {
                throw MeshdSetupError("shared CA: cannot rename \(temporary) to \(path)")
            }
        }
        if previous == nil { try? manager.removeItem(atPath: "\(stateDirectory)/\(previousFile)") }
    }

    /// The shared root under `<prefix>/_ca/`; its version is the mod revision of `root-cert.pem`.
    public struct RootStore: SharedRootStore {
        let connection: EtcdConnection
        let layout: EtcdKeyLayout

        public init(connection: EtcdConnection, layout: EtcdKeyLayout) {
            self.connection = connection
            self.layout = layout
        }

        public var location: String { "etcd \(layout.reservedKey("ca"))" }

        var certificateKey: String { layout.reservedKey("ca", "root-cert.pem") }
        var keyKey: String { layout.reservedKey("ca", "root-key.pem") }
        var previousKey: String { layout.reservedKey("ca", EtcdSharedCA.previousFile) }

        public func read() async throws -> (root: SharedRoot, version: String)? {
            let reads = try await EtcdClient.withAnySession(connection) { session in
                try await session.transaction(
                    EtcdTransaction(success: [certificateKey, keyKey, previousKey].map { .get($0) })
                ).reads
            }
            let byKey = Dictionary(reads.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            guard let certificate = byKey[certificateKey], let key = byKey[keyKey] else { return nil }
            return (
                SharedRoot(certificate: certificate.value, key: key.value, previous: byKey[previousKey]?.value),
                "\(certificate.modRevision)"
            )
        }

        public func replace(with root: SharedRoot, ifVersion version: String) async throws -> Bool {
            guard let revision = Int64(version) else { return false }
            var writes: [EtcdTransaction.Operation] = [
                .put(certificateKey, value: root.certificate), .put(keyKey, value: root.key),
            ]
            writes.append(root.previous.map { .put(previousKey, value: $0) } ?? .delete(previousKey))
            return try await EtcdClient.withAnySession(connection) { session in
                try await session.transaction(
                    EtcdTransaction(comparisons: [.modRevision(certificateKey, equals: revision)], success: writes)
                ).succeeded
            }
        }
    }
}
