import Crypto
import Foundation
import Logging
import Synchronization
public import X509

/// Meshd's certificate authority: it signs workload and serving certificates, verifies client chains, mints
/// and verifies bootstrap tokens, and rotates its root.
///
/// Thread-safe: every method may be called concurrently. Signing happens outside the lock on a snapshot of
/// the signing authority, so a rotation never leaves a signature half-made with the old key and the new chain.
/// Private keys never leave this type except in `IssuedCertificate` for the caller that asked for one.
public final class CertificateAuthority: Sendable {
    let options: CAOptions
    let stateDirectory: StateDirectory
    let tokens: BootstrapToken
    let state: Mutex<State>
    /// Serialises rotations, which write files; signers never wait on it.
    let rotation = Mutex(())
    let logger = Logger(label: "meshd.ca")

    struct State {
        var authority: SigningAuthority
        var csrCount = 0
        var issuedCount = 0
    }

    init(options: CAOptions, stateDirectory: StateDirectory, tokens: BootstrapToken, authority: SigningAuthority) {
        self.options = options
        self.stateDirectory = stateDirectory
        self.tokens = tokens
        self.state = Mutex(State(authority: authority))
    }

    /// Loads the CA. With `pluginDirectory`, signs with the plug-in intermediate found there (Istio's
    /// `ca-cert.pem`, `ca-key.pem`, `root-cert.pem`, `cert-chain.pem`); otherwise uses the self-signed root in
    /// `stateDirectory`, generating and persisting it on first start (key mode 0600, atomic writes) and reusing
    /// it on every later start. The token key always lives in `stateDirectory`.
    ///
    /// Throws a `CAError` naming the file when a file is unreadable, malformed, expired, or when a key does
    /// not match its certificate.
    public static func load(
        stateDirectory: String, pluginDirectory: String?, options: CAOptions
    ) throws
        -> CertificateAuthority
    {
        try SPIFFEIdentity(trustDomain: options.trustDomain, namespace: "x", serviceAccount: "x").validate()
        guard options.workloadCertTTL > .zero, options.maxWorkloadCertTTL > .zero, options.rootValidity > .zero,
            options.maxTokenLifetime > .zero
        else {
            throw CAError(field: "options", reason: "certificate lifetimes must be positive")
        }
        let now = Date()
        let directory = StateDirectory(path: stateDirectory)
        let authority: SigningAuthority
        if let pluginDirectory {
            authority = try PluginCALoader.load(directory: pluginDirectory, trustDomain: options.trustDomain, now: now)
        } else {
            authority = try directory.loadOrCreateRoot(options: options, now: now)
        }
        var tokens = BootstrapToken(key: try directory.loadOrCreateTokenKey())
        tokens.maxLifetime = options.maxTokenLifetime
        tokens.clockSkew = options.clockSkewAllowance
        let ca = CertificateAuthority(options: options, stateDirectory: directory, tokens: tokens, authority: authority)
        ca.logger.info(
            "certificate authority loaded",
            metadata: [
                "mode": "\(authority.isPlugin ? "plug-in" : "self-signed")",
                "signingCertNotAfter": "\(authority.certificate.notValidAfter)",
                "trustedRoots": "\(authority.trustedRoots.count)",
            ])
        return ca
    }

    /// Every trusted root as concatenated PEM: the SDS `ROOTCA` secret. Holds two roots during a rotation.
    public var trustBundlePEM: String {
        (try? PEM.encode(trustedRoots)) ?? ""
    }

    /// The trusted roots, for callers that build TLS configurations from `Certificate` values. A root replaced
    /// by a rotation drops out once its overlap has ended.
    public var trustedRoots: [Certificate] {
        liveRoots(of: currentAuthority, now: Date())
    }

    /// Counters and expiry dates for metrics and admin; never key material.
    public var status: CAStatus {
        state.withLock { state in
            let authority = state.authority
            return CAStatus(
                rootNotAfter: authority.anchoringRoot?.notValidAfter ?? authority.certificate.notValidAfter,
                signingCertNotAfter: authority.certificate.notValidAfter,
                csrCount: state.csrCount, issuedCount: state.issuedCount,
                trustedRootCount: liveRoots(of: authority, now: Date()).count, isPluginCA: authority.isPlugin)
        }
    }

    /// Replaces the self-signed root. The new root enters the trust bundle in the same step that makes it the
    /// signer, so no leaf signed by it exists before the bundle holds it; the old root stays in the bundle for
    /// the overlap (the maximum workload TTL), so leaves it signed keep verifying until they expire.
    ///
    /// The caller must push the new trust bundle (`ROOTCA`) to every proxy. A plug-in CA is rotated by
    /// replacing its files and restarting, so this throws for one.
    public func rotateRoot() throws {
        let next = try rotation.withLock { _ in
            let current = currentAuthority
            guard !current.isPlugin else {
                throw CAError(
                    field: "rotateRoot", reason: "a plug-in CA is rotated by replacing its files, not by meshd")
            }
            let next = try stateDirectory.generateRoot(options: options, now: Date(), previous: current.certificate)
            try stateDirectory.persist(next)
            state.withLock { $0.authority = next }
            return next
        }
        logger.notice(
            "root rotated; the previous root stays trusted for the overlap",
            metadata: ["newRootNotAfter": "\(next.certificate.notValidAfter)"])
    }

    /// Loads the self-signed root again from the state directory, where a replica set's shared store (the root
    /// another replica rotated to) was just written, and signs with it from now on. True when the root changed.
    /// The caller must push the new trust bundle (`ROOTCA`) to every proxy, as after `rotateRoot()`.
    public func reloadRoot() throws -> Bool {
        let changed = try rotation.withLock { _ -> Bool in
            let current = currentAuthority
            guard !current.isPlugin else {
                throw CAError(field: "reloadRoot", reason: "a plug-in CA is loaded from its files at start only")
            }
            let loaded = try stateDirectory.loadOrCreateRoot(options: options, now: Date())
            guard loaded.certificate != current.certificate || loaded.trustedRoots != current.trustedRoots else {
                return false
            }
            state.withLock { $0.authority = loaded }
            return true
        }
        if changed {
            logger.notice(
                "root reloaded from the state directory",
                metadata: ["rootNotAfter": "\(currentAuthority.certificate.notValidAfter)"])
        }
        return changed
    }

    /// The roots of `authority` that peers should trust at `now`: for a self-signed CA, the current root and the
    /// previous one while its overlap lasts; for a plug-in CA, everything in `root-cert.pem`.
    func liveRoots(of authority: SigningAuthority, now: Date) -> [Certificate] {
        guard !authority.isPlugin else { return authority.trustedRoots }
        return authority.trustedRoots.filter { root in
            root == authority.certificate
                || StateDirectory.isInOverlap(
                    previous: root, current: authority.certificate, options: options, now: now)
        }
    }

    /// The signing authority at this instant, for one signature.
    var currentAuthority: SigningAuthority {
        state.withLock { $0.authority }
    }

    /// The TTL to use: the default when none is asked, never more than the maximum, never zero or negative.
    func effectiveTTL(_ requested: Duration?) -> Duration {
        guard let requested, requested > .zero else { return min(options.workloadCertTTL, options.maxWorkloadCertTTL) }
        return min(requested, options.maxWorkloadCertTTL)
    }
}
