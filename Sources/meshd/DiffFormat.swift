/// The `POST /debug/diff` answer, as `meshd diff` reads it.
struct DiffAnswer: Decodable, Sendable {
    struct Diagnostic: Decodable, Sendable {
        /// `file:line: Kind/ns/name: field.path: reason`.
        var message: String
    }

    struct Object: Decodable, Sendable {
        var key: String
        var action: String
        var source: String
    }

    struct Proxy: Decodable, Sendable {
        var proxy: String
        var name: String
        var added: Int
        var removed: Int
        var changed: Int
        var resources: [Resource]
        /// `+ listener: ACTION rbac-policy` lines; nil when authorization is unchanged.
        var authorization: [String]?
    }

    struct Resource: Decodable, Sendable {
        var type: String
        var name: String
        var action: String
        var diff: [String]?
        /// The objects the resource comes from (`Kind/ns/name (file:line ...)`).
        var sources: [String]?
    }

    var snapshotVersion: String
    var newSnapshotVersion: String?
    var errors: [Diagnostic]
    var warnings: [Diagnostic]
    var objects: [Object]
    var proxies: [Proxy]
}

/// Renders `meshd diff` output. Pure, so the exact text can be tested.
enum DiffFormat {
    /// Errors (and nothing else) when the input was refused; otherwise the objects, then per proxy
    /// `name: +added -removed ~changed` and, unless `summary`, each resource with its line diff and the objects it
    /// comes from.
    static func render(_ answer: DiffAnswer, summary: Bool) -> String {
        var lines: [String] = []
        guard answer.errors.isEmpty else {
            lines += answer.errors.map(\.message)
            lines += answer.warnings.map { "warning: \($0.message)" }
            let count = answer.errors.count
            lines.append("\(count) error\(count == 1 ? "" : "s"): nothing compared, nothing applied")
            return lines.joined(separator: "\n") + "\n"
        }
        lines += answer.warnings.map { "warning: \($0.message)" }
        lines.append(
            "dry run against snapshot \(answer.snapshotVersion) -> \(answer.newSnapshotVersion ?? "?"); nothing applied"
        )
        for object in answer.objects {
            lines.append(
                "\(object.action.padding(toLength: 9, withPad: " ", startingAt: 0)) \(object.key)  (\(object.source))")
        }
        if answer.proxies.isEmpty { lines.append("no connected proxies") }
        for proxy in answer.proxies {
            lines.append("\(proxy.name): +\(proxy.added) -\(proxy.removed) ~\(proxy.changed)")
            if let authorization = proxy.authorization, !authorization.isEmpty {
                lines.append("  authorization:")
                lines += authorization.map { "    " + $0 }
            }
            guard !summary else { continue }
            for resource in proxy.resources {
                let mark = resource.action == "added" ? "+" : resource.action == "removed" ? "-" : "~"
                lines.append("  \(mark) \(resource.type) \(resource.name)")
                lines += (resource.diff ?? []).map { "      " + $0 }
                if let sources = resource.sources, !sources.isEmpty {
                    lines.append("      from " + sources.joined(separator: ", "))
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
