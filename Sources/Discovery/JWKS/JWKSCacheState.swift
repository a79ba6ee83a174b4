public import Foundation

/// What meshd knows about one `jwksUri`: the key set in force (the last good one), and how its fetches went.
public struct JWKSEntry: Sendable, Hashable {
    /// The last good key set (validated JWKS text); nil until a fetch succeeds.
    public var keys: String?
    public var lastSuccess: Date?
    public var lastAttempt: Date?
    /// The error of the last attempt, when it failed (the key set in force is then older).
    public var lastError: JWKSError?
    /// When the next fetch is due.
    var due: ContinuousClock.Instant
}

/// The cache of fetched key sets as a state machine: which URIs are tracked, which are due, and what a fetch
/// result changes. Pure; the service does the I/O and holds it behind a lock.
struct JWKSCacheState: Sendable {
    private(set) var entries: [String: JWKSEntry] = [:]
    private(set) var references: [String: [JWKSReference]] = [:]

    /// Tracks exactly `references`' URIs: new ones are due at once, gone ones are forgotten. Returns the new URIs.
    mutating func track(_ references: [String: [JWKSReference]], now: ContinuousClock.Instant) -> [String] {
        self.references = references
        entries = entries.filter { references[$0.key] != nil }
        let new = references.keys.filter { entries[$0] == nil }.sorted()
        for uri in new { entries[uri] = JWKSEntry(due: now) }
        return new
    }

    /// The tracked URIs whose next fetch is due at `now`.
    func due(at now: ContinuousClock.Instant) -> [String] {
        entries.filter { $0.value.due <= now }.map(\.key).sorted()
    }

    /// Records a good key set; true when the keys in force changed.
    mutating func succeeded(
        _ uri: String, keys: String, at now: ContinuousClock.Instant, date: Date, settings: JWKSSettings
    )
        -> Bool
    {
        guard var entry = entries[uri] else { return false }
        let changed = entry.keys != keys
        entry.keys = keys
        entry.lastSuccess = date
        entry.lastAttempt = date
        entry.lastError = nil
        entry.due = now + settings.refreshInterval
        entries[uri] = entry
        return changed
    }

    /// Records a failed fetch; the last good keys stay. Returns the entry, for the warning.
    mutating func failed(
        _ uri: String, error: JWKSError, at now: ContinuousClock.Instant, date: Date, settings: JWKSSettings
    )
        -> JWKSEntry?
    {
        guard var entry = entries[uri] else { return nil }
        entry.lastAttempt = date
        entry.lastError = error
        entry.due = now + settings.retryInterval
        entries[uri] = entry
        return entry
    }

    /// The key sets in force, by URI: what the translator inlines.
    var keys: [String: String] {
        entries.compactMapValues(\.keys)
    }
}
