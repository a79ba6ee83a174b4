import CertificateAuthority
import Foundation
public import Registry

/// One self-signed CA for every replica on one Kubernetes cluster, kept where istiod keeps its own: the Secret
/// `istio-ca-secret` (type `istio.io/ca-root`) in the meshd namespace. Each replica copies it into its state
/// directory before its CA loads, as `EtcdSharedCA` does on etcd.
///
/// - Keys, as istiod writes them for a self-signed root: `ca-cert.pem` (the root certificate) and `ca-key.pem` (its
///   key); `cert-chain.pem`, `key.pem` and `root-cert.pem` are present and empty. meshd adds `token-key.pem`, the
///   bootstrap-token signing key, so that a token minted by one replica is accepted by every other (istiod ignores
///   keys it does not know).
/// - Create-if-absent: a replica that finds no Secret offers its local root and token key with a create, which the
///   API server refuses with 409 AlreadyExists when another replica created it first; the loser then loads the
///   winner's copy, replacing its local files.
/// - A Secret holding a root but no `token-key.pem` (written by istiod) gets this replica's token key added, by an
///   update conditional on its resourceVersion; the root is kept.
///
/// The key is stored unencrypted in the Secret, as istiod stores it: restrict `get` on it (Deploy/ does, by name)
/// and enable encryption at rest. A plug-in CA (`--ca-dir`) is not shared this way.
public enum KubernetesSharedCA {
    public enum Outcome: Sendable, Equatable {
        /// This replica's root and token key are now the shared ones.
        case created
        /// The Secret's root and token key were copied into the state directory.
        case loaded
    }

    public static let secretName = "istio-ca-secret"
    public static let secretType = "istio.io/ca-root"
    /// The Secret's keys for the state directory's `root-cert.pem`, `root-key.pem` and `token-key.pem`.
    static let keys = ["ca-cert.pem", "ca-key.pem", "token-key.pem"]
    /// Keys istiod writes empty for a self-signed root.
    static let emptyKeys = ["cert-chain.pem", "key.pem", "root-cert.pem"]
    /// meshd's key for the root a rotation replaced (istiod keeps none).
    static let previousKey = "previous-ca-cert.pem"

    /// The shared root in `istio-ca-secret`; its version is the Secret's resourceVersion, and an update names it,
    /// so the API server refuses (409) one made from a stale read.
    public struct RootStore: SharedRootStore {
        let connection: KubernetesConnection
        let namespace: String

        public init(connection: KubernetesConnection, namespace: String) {
            self.connection = connection
            self.namespace = namespace
        }

        public var location: String { "Secret \(namespace)/\(secretName)" }
        var path: String { "/api/v1/namespaces/\(namespace)/secrets/\(secretName)" }

        func secret() async throws -> SharedSecret? {
            let path = path
            let read = try await KubernetesClient.with(connection) { try await $0.send(.get, path) }
            if read.status == 404 { return nil }
            try KubernetesClient.check(status: read.status, body: read.body, path: path)
            return try SharedSecret(json: read.body, path: path)
        }

        public func read() async throws -> (root: SharedRoot, version: String)? {
            guard let secret = try await secret() else { return nil }
            return (SharedRoot(certificate: secret.certificate, key: secret.key, previous: secret.previous), secret.resourceVersion)
        }

        public func replace(with root: SharedRoot, ifVersion version: String) async throws -> Bool {
            guard let secret = try await secret(), secret.resourceVersion == version else { return false }
            let path = path
            let body = try secret.replacing(root: root)
            let answer = try await KubernetesClient.with(connection) { try await $0.send(.put, path, json: body) }
            if answer.status == 409 { return false }
            try KubernetesClient.check(status: answer.status, body: answer.body, path: path)
            return true
        }
    }

    /// Makes `stateDirectory` hold the mesh's shared root and token key (see the type). Throws `MeshdSetupError`
    /// when the Secret holds a certificate without its key (or the reverse), when the API server refuses or cannot
    /// be reached, or when the local CA cannot be loaded.
    public static func share(
        connection: KubernetesConnection, namespace: String, stateDirectory: String, trustDomain: String
    ) async throws -> Outcome {
        let collection = "/api/v1/namespaces/\(namespace)/secrets"
        let path = "\(collection)/\(secretName)"
        return try await KubernetesClient.with(connection) { client in
            for _ in 0..<5 {
                let read = try await client.send(.get, path)
                if read.status == 200 {
                    let secret = try SharedSecret(json: read.body, path: path)
                    if let tokenKey = secret.tokenKey {
                        try EtcdSharedCA.install(
                            Array(zip(EtcdSharedCA.files, [secret.certificate, secret.key, tokenKey])),
                            previous: secret.previous, in: stateDirectory)
                        return .loaded
                    }
                    // istiod's Secret: keep its root, add this replica's token key.
                    let local = try localFiles(stateDirectory: stateDirectory, trustDomain: trustDomain)
                    let answer = try await client.send(
                        .put, path, json: try secret.adding(tokenKey: local[2], path: path))
                    if answer.status == 409 { continue }
                    try KubernetesClient.check(status: answer.status, body: answer.body, path: path)
                    try EtcdSharedCA.install(
                        Array(zip(EtcdSharedCA.files, [secret.certificate, secret.key, local[2]])),
                        previous: secret.previous, in: stateDirectory)
                    return .loaded
                }
                guard read.status == 404 else {
                    try KubernetesClient.check(status: read.status, body: read.body, path: path)
                    throw MeshdSetupError("shared CA: \(path) answered HTTP \(read.status)")
                }
                let local = try localFiles(stateDirectory: stateDirectory, trustDomain: trustDomain)
                let answer = try await client.send(
                    .post, collection, json: SharedSecret.json(namespace: namespace, files: local))
                if answer.status == 409 { continue }  // another replica created it first: load theirs
                try KubernetesClient.check(status: answer.status, body: answer.body, path: collection)
                return .created
            }
            throw MeshdSetupError("shared CA: \(path) kept changing while it was read; retry")
        }
    }

    /// This replica's root certificate, root key and token key, generated on first start.
    static func localFiles(stateDirectory: String, trustDomain: String) throws -> [[UInt8]] {
        var options = CAOptions()
        options.trustDomain = trustDomain
        _ = try CertificateAuthority.load(stateDirectory: stateDirectory, pluginDirectory: nil, options: options)
        return try EtcdSharedCA.files.map { name -> [UInt8] in
            guard let data = FileManager.default.contents(atPath: "\(stateDirectory)/\(name)") else {
                throw MeshdSetupError("shared CA: cannot read \(stateDirectory)/\(name)")
            }
            return Array(data)
        }
    }
}

/// The `istio-ca-secret` as read: its decoded keys and the object, to update.
struct SharedSecret {
    var object: [String: Any]
    var certificate: [UInt8]
    var key: [UInt8]
    var tokenKey: [UInt8]?
    /// meshd's `previous-ca-cert.pem`: the root the last rotation replaced, trusted during the overlap.
    var previous: [UInt8]?

    init(json: Data, path: String) throws {
        guard let object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw MeshdSetupError("shared CA: \(path) is not a JSON object")
        }
        let data = object["data"] as? [String: Any] ?? [:]
        func value(_ name: String) throws -> [UInt8]? {
            guard let raw = data[name] else { return nil }
            guard let text = raw as? String, let decoded = Data(base64Encoded: text) else {
                throw MeshdSetupError("shared CA: \(path): data.\(name) is not base64")
            }
            return decoded.isEmpty ? nil : Array(decoded)
        }
        let certificate = try value("ca-cert.pem")
        let key = try value("ca-key.pem")
        guard let certificate, let key else {
            let missing = [certificate == nil ? "ca-cert.pem" : nil, key == nil ? "ca-key.pem" : nil].compactMap { $0 }
            throw MeshdSetupError(
                "shared CA: \(path) lacks data.\(missing.joined(separator: " and data.")); "
                    + "repair or delete the Secret")
        }
        self.object = object
        self.certificate = certificate
        self.key = key
        self.tokenKey = try value("token-key.pem")
        self.previous = try value(KubernetesSharedCA.previousKey)
    }

    /// The object with the root replaced by `root` (its resourceVersion kept, so the update is conditional).
    func replacing(root: SharedRoot) throws -> Data {
        var object = self.object
        var data = object["data"] as? [String: Any] ?? [:]
        data["ca-cert.pem"] = Data(root.certificate).base64EncodedString()
        data["ca-key.pem"] = Data(root.key).base64EncodedString()
        data[KubernetesSharedCA.previousKey] = root.previous.map { Data($0).base64EncodedString() }
        object["data"] = data
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// `metadata.resourceVersion`, the version a conditional update names.
    var resourceVersion: String {
        (object["metadata"] as? [String: Any])?["resourceVersion"] as? String ?? ""
    }

    /// The object with `token-key.pem` added (its resourceVersion kept, so the update is conditional).
    func adding(tokenKey: [UInt8], path: String) throws -> Data {
        var object = self.object
        var data = object["data"] as? [String: Any] ?? [:]
        data["token-key.pem"] = Data(tokenKey).base64EncodedString()
        object["data"] = data
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// A new Secret holding `files` (root certificate, root key, token key) under istiod's keys.
    static func json(namespace: String, files: [[UInt8]]) -> Data {
        var data: [String: String] = [:]
        for (name, value) in zip(KubernetesSharedCA.keys, files) { data[name] = Data(value).base64EncodedString() }
        for name in KubernetesSharedCA.emptyKeys { data[name] = "" }
        let object: [String: Any] = [
            "apiVersion": "v1", "kind": "Secret", "type": KubernetesSharedCA.secretType,
            "metadata": [
                "name": KubernetesSharedCA.secretName, "namespace": namespace,
                "labels": ["app": "meshd"],
            ],
            "data": data,
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}
