public import CertificateAuthority
import Crypto
import Foundation
public import ServiceLifecycle
import Synchronization

/// Proves a proxy's identity from its Kubernetes service-account token, as istiod does: it asks the API server
/// with a TokenReview and accepts only `authenticated: true`, a `system:serviceaccount:<ns>:<sa>` user, and the
/// audience `istio-ca`.
///
/// Outcomes are cached by the token's SHA-256 (the token itself is never kept): an admission for `positiveTTL`
/// (60 s), a refusal for `negativeTTL` (5 s, so a caller retrying a bad token cannot flood the API server). A
/// token revoked in Kubernetes is therefore still accepted for at most a minute.
///
/// Thread-safe. As a `Service`, it closes its HTTP connections at graceful shutdown.
public final class TokenReviewer: Service, Sendable {
    /// The audience proxies' tokens must be issued for (the projected volume's `audience`).
    public static let audience = "istio-ca"
    public static let positiveTTL: Duration = .seconds(60)
    public static let negativeTTL: Duration = .seconds(5)
    static let maximumEntries = 10_000

    /// A cached decision about one token.
    public enum Outcome: Sendable, Equatable {
        case admitted(SPIFFEIdentity)
        case refused(TokenReviewError)
    }

    struct Entry {
        var outcome: Outcome
        var expires: ContinuousClock.Instant
    }

    let transport: any TokenReviewTransport
    let trustDomain: String
    private let cache = Mutex<[SHA256Digest: Entry]>([:])

    public init(transport: any TokenReviewTransport, trustDomain: String = "cluster.local") {
        self.transport = transport
        self.trustDomain = trustDomain
    }

    /// The identity `token` proves, asking the API server unless a fresh answer is cached. Throws
    /// `TokenReviewError`.
    @discardableResult
    public func review(_ token: String) async throws(TokenReviewError) -> SPIFFEIdentity {
        let key = SHA256.hash(data: Data(token.utf8))
        // An answer about to expire is renewed, so that the synchronous `cached` right after still finds it.
        if let entry = lookup(key, validFor: .seconds(5)) { return try entry.get() }
        let outcome: Outcome
        do {
            outcome = .admitted(try await ask(token))
        } catch {
            outcome = .refused(error)
        }
        if case .refused(.unavailable) = outcome {
            // An outage is not the caller's fault: don't remember it.
        } else {
            store(outcome, for: key)
        }
        return try outcome.get()
    }

    /// The cached decision about `token`, if any; never does I/O. The synchronous authenticators use it after
    /// `TokenReviewInterceptor` has run `review`.
    public func cached(_ token: String) -> Outcome? {
        lookup(SHA256.hash(data: Data(token.utf8)), validFor: .zero)
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try await transport.shutdown()
    }

    private func lookup(_ key: SHA256Digest, validFor margin: Duration) -> Outcome? {
        let now = ContinuousClock.now
        return cache.withLock { cache in
            guard let entry = cache[key], entry.expires > now + margin else { return nil }
            return entry.outcome
        }
    }

    private func store(_ outcome: Outcome, for key: SHA256Digest) {
        let now = ContinuousClock.now
        let ttl = if case .admitted = outcome { Self.positiveTTL } else { Self.negativeTTL }
        cache.withLock { cache in
            if cache.count >= Self.maximumEntries { cache = cache.filter { $0.value.expires > now } }
            if cache.count >= Self.maximumEntries { cache.removeAll() }
            cache[key] = Entry(outcome: outcome, expires: now + ttl)
        }
    }

    /// One TokenReview round trip and the checks on its answer.
    private func ask(_ token: String) async throws(TokenReviewError) -> SPIFFEIdentity {
        let body: Data
        let status: Int
        do {
            let request = TokenReviewRequest(spec: .init(token: token, audiences: [Self.audience]))
            (status, body) = try await transport.post(try JSONEncoder().encode(request))
        } catch let error as TokenReviewError {
            throw error
        } catch {
            throw .unavailable("\(error)")
        }
        let response = try? JSONDecoder().decode(TokenReviewResponse.self, from: body)
        guard status == 201 || status == 200 else {
            let message = response?.message ?? "HTTP \(status)"
            throw .unavailable(
                status == 403 ? "meshd may not create tokenreviews (check its ClusterRole): \(message)" : message)
        }
        guard let review = response?.status else { throw .unavailable("the API server's answer has no status") }
        return try Self.identity(from: review, trustDomain: trustDomain)
    }

    /// Applies istiod's rules to a TokenReview status.
    static func identity(
        from status: TokenReviewResponse.Status, trustDomain: String
    ) throws(TokenReviewError)
        -> SPIFFEIdentity
    {
        guard status.authenticated == true else {
            throw .notAuthenticated(status.error.map { $0.isEmpty ? "no reason given" : $0 } ?? "no reason given")
        }
        let audiences = status.audiences ?? []
        guard audiences.contains(audience) else { throw .wrongAudience(audiences) }
        let username = status.user?.username ?? ""
        let parts = username.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "system", parts[1] == "serviceaccount", !parts[2].isEmpty, !parts[3].isEmpty
        else { throw .notAServiceAccount(username.isEmpty ? "(no username)" : username) }
        return SPIFFEIdentity(trustDomain: trustDomain, namespace: String(parts[2]), serviceAccount: String(parts[3]))
    }
}

extension TokenReviewer.Outcome {
    func get() throws(TokenReviewError) -> SPIFFEIdentity {
        switch self {
        case .admitted(let identity): return identity
        case .refused(let error): throw error
        }
    }
}
