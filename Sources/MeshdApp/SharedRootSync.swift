public import CertificateAuthority
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// The self-signed root a replica set signs with, as its shared store holds it: the root certificate and key, and
/// the root the last rotation replaced (trusted during the overlap). The bootstrap-token key never changes and is
/// not part of it.
public struct SharedRoot: Sendable, Equatable {
    public var certificate: [UInt8]
    public var key: [UInt8]
    public var previous: [UInt8]?

    public init(certificate: [UInt8], key: [UInt8], previous: [UInt8]? = nil) {
        self.certificate = certificate
        self.key = key
        self.previous = previous
    }
}

/// Where a replica set keeps its shared root: etcd (`EtcdSharedCA.RootStore`) or the `istio-ca-secret` Secret
/// (`KubernetesSharedCA.RootStore`).
public protocol SharedRootStore: Sendable {
    /// The etcd key folder or the Secret, for messages.
    var location: String { get }
    /// The stored root and its version (an etcd mod revision, a Secret's resourceVersion); nil when none is stored.
    func read() async throws -> (root: SharedRoot, version: String)?
    /// Stores `root` if the store still holds `version`; false when another replica changed it first.
    func replace(with root: SharedRoot, ifVersion version: String) async throws -> Bool
}

/// Keeps one replica's CA on its replica set's shared root, so that a root rotation made on any replica reaches
/// every replica, as istiod's replicas reload `istio-ca-secret` when another one rotated it.
///
/// - Every `interval` (and at once when started), the stored root is compared with the one in the state directory.
///   A different one is written there (root, key and the previous root, each by an atomic rename), the CA reloads
///   it (`CertificateAuthority.reloadRoot()`), and `onChange` pushes the new trust bundle (`ROOTCA`) to this
///   replica's proxies.
/// - `rotate()` is the operator's rotation on a replica set: this replica rotates locally, then stores its new
///   root conditionally on the version it rotated from. If another replica stored one first, that root is adopted
///   here too and the rotation reports the conflict, so the replica set never splits between two roots.
///
/// Proxies of the other replicas trust the new root within `interval`. Workload certificates move to the new root
/// only at their half-life renewal, and the old root stays trusted for the overlap, so traffic keeps verifying.
public final class SharedRootSync: Service, Sendable {
    let store: any SharedRootStore
    let ca: CertificateAuthority
    let stateDirectory: String
    let interval: Duration
    let onChange: @Sendable () -> Void
    let logger: Logger
    /// True while `rotate()` runs: a periodic check then leaves the state directory alone.
    let rotating = Mutex(false)

    public init(
        store: any SharedRootStore, ca: CertificateAuthority, stateDirectory: String, interval: Duration,
        logger: Logger, onChange: @escaping @Sendable () -> Void
    ) {
        self.store = store
        self.ca = ca
        self.stateDirectory = stateDirectory
        self.interval = interval
        self.logger = logger
        self.onChange = onChange
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await self.check()
                } catch {
                    self.logger.warning(
                        "shared root: cannot check \(self.store.location): \(error); keeping the current root")
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// Adopts the stored root when it is not the one in the state directory; returns the stored version (nil when
    /// the store holds none). Skipped while a rotation runs, unless `owner` is that rotation.
    @discardableResult
    public func check(owner: Bool = false) async throws -> String? {
        guard let (root, version) = try await store.read() else { return nil }
        try rotating.withLock { busy in
            if busy && !owner { return }
            try adopt(root)
        }
        return version
    }

    /// Rotates the root on this replica and stores it for the others (see the type). Throws when the store holds no
    /// root, when it cannot be reached (the rotation then stays local until the next check restores the stored
    /// root), or when another replica rotated at the same time (its root is adopted).
    public func rotate() async throws {
        try rotating.withLock { busy in
            if busy { throw MeshdSetupError("a root rotation is already running on this replica") }
            busy = true
        }
        defer { rotating.withLock { $0 = false } }
        guard let version = try await check(owner: true) else {
            throw MeshdSetupError("shared root: \(store.location) holds no root to rotate from")
        }
        try ca.rotateRoot()
        let rotated = try SharedRoot(
            certificate: file("root-cert.pem"), key: file("root-key.pem"), previous: optionalFile("previous-root-cert.pem"))
        if try await store.replace(with: rotated, ifVersion: version) {
            logger.notice("root rotated and stored for every replica", metadata: ["store": "\(store.location)"])
            onChange()
            return
        }
        _ = try await check(owner: true)
        throw MeshdSetupError(
            "another replica rotated the root at the same time; its root (in \(store.location)) is in force here too")
    }

    /// Writes `root` into the state directory and reloads the CA, when it is not the root there already.
    func adopt(_ root: SharedRoot) throws {
        guard root.certificate != (try? file("root-cert.pem")) else { return }
        try EtcdSharedCA.install(
            [("root-cert.pem", root.certificate), ("root-key.pem", root.key)], previous: root.previous,
            in: stateDirectory)
        if try ca.reloadRoot() {
            logger.notice(
                "root adopted from the replica set's shared store", metadata: ["store": "\(store.location)"])
            onChange()
        }
    }

    func file(_ name: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: "\(stateDirectory)/\(name)") else {
            throw MeshdSetupError("shared root: cannot read \(stateDirectory)/\(name)")
        }
        return Array(data)
    }

    func optionalFile(_ name: String) -> [UInt8]? {
        FileManager.default.contents(atPath: "\(stateDirectory)/\(name)").map(Array.init)
    }
}
