import Foundation

/// What one Envoy said about the configuration it was given: the log lines and counters by which Envoy reports a
/// deprecated field, an unknown field, or a rejected xDS update. Empty `problems` means Envoy took everything as it
/// is and had nothing to warn about (`warningLines` holds any other warning it logged).
///
/// Envoy's words (the same in 1.36, 1.39 and 1.40; `EnvoyVersionMatrixTests` checks them against each release):
/// - deprecated field use is a warning "Deprecated field: type ... Using deprecated option '<field>' ...", counted in
///   `runtime.deprecated_feature_use`; a deprecated enum value default is "Using the default now-deprecated value";
/// - a field the release does not know is "... has unknown fields", counted in `server.dynamic_unknown_fields`
///   (xDS) and `server.static_unknown_fields` (bootstrap);
/// - a NACK is "gRPC config for <type> rejected: ..." (SotW) or "delta config for <type> rejected: ...", counted in
///   the `update_rejected` counter of the subscription (`cluster_manager.cds`, `listener_manager.lds`, each RDS and
///   EDS subscription).
public struct EnvoyConfigAudit: Sendable, CustomStringConvertible {
    /// Log lines naming a deprecated feature (any line containing "deprecat", in any case).
    public var deprecationLines: [String]
    /// Log lines reporting a rejected update ("rejected") or unknown fields ("unknown field").
    public var rejectionLines: [String]
    /// Every other line Envoy logged at level warning, error or critical: while meshd serves a mesh that is valid,
    /// an Envoy has nothing to warn about (its only warnings come at teardown, when meshd goes away first).
    public var warningLines: [String]
    /// The counters that must be 0, by stat name (`runtime.deprecated_feature_use`, the unknown-field counters and
    /// every `update_rejected`); a counter Envoy does not have is missing, not 0.
    public var counters: [String: Int]

    /// The `update_rejected` counters: one per xDS subscription Envoy holds.
    public var rejectionCounters: [String: Int] { counters.filter { $0.key.hasSuffix("update_rejected") } }

    /// Every finding, in words; empty when Envoy accepted everything without a warning about it.
    public var problems: [String] {
        deprecationLines.map { "deprecated: \($0)" } + rejectionLines.map { "rejected or unknown: \($0)" }
            + warningLines.map { "warning: \($0)" }
            + counters.filter { $0.value != 0 }.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }
    }

    public var description: String {
        problems.isEmpty ? "clean (\(counters.count) counters at 0)" : problems.joined(separator: "\n")
    }

    /// The counters that always exist in a running Envoy and must read 0.
    public static let requiredCounters = [
        "runtime.deprecated_feature_use", "server.dynamic_unknown_fields", "server.static_unknown_fields",
    ]

    /// Audits a log and a set of counters (stat name → value).
    public init(log: String, counters: [String: Int]) {
        let lines = log.split(whereSeparator: \.isNewline).map(String.init)
        let deprecated = lines.filter { $0.range(of: "deprecat", options: .caseInsensitive) != nil }
        let rejected = lines.filter {
            $0.range(of: "rejected", options: .caseInsensitive) != nil
                || $0.range(of: "unknown field", options: .caseInsensitive) != nil
        }
        let levels = ["][warning][", "][error][", "][critical]["]
        warningLines = lines.filter { line in
            levels.contains { line.contains($0) } && !deprecated.contains(line) && !rejected.contains(line)
        }
        deprecationLines = deprecated
        rejectionLines = rejected
        self.counters = counters
    }
}

extension Sidecar {
    /// Audits this Envoy's log so far and its counters (see `EnvoyConfigAudit`). Throws when one of the always-present
    /// counters is missing, so that a renamed stat cannot make the audit pass by reading nothing.
    public func configAudit() throws -> EnvoyConfigAudit {
        let log = try String(contentsOf: process.logFile, encoding: .utf8)
        var counters: [String: Int] = [:]
        for (name, value) in try stats(matching: "(update_rejected|deprecated_feature_use|_unknown_fields)$") {
            guard let number = Int(value) else { throw HarnessError("\(pod.name): stat \(name) is \(value)") }
            counters[name] = number
        }
        let missing = EnvoyConfigAudit.requiredCounters.filter { counters[$0] == nil }
        guard missing.isEmpty else {
            throw HarnessError("\(pod.name) (\(release)) has no stat \(missing.joined(separator: ", ")): \(counters)")
        }
        return EnvoyConfigAudit(log: log, counters: counters)
    }
}
