/// A Kubernetes label selector (`matchLabels` and `matchExpressions`), as webhook configurations, the injector's
/// `alwaysInjectSelector` / `neverInjectSelector` and the mesh config's `discoverySelectors` hold them. Every requirement must hold; an empty selector
/// selects everything.
public struct LabelSelector: Sendable, Hashable {
    public struct Requirement: Sendable, Hashable {
        public enum Operator: String, Sendable, Hashable, CaseIterable {
            case `in` = "In"
            case notIn = "NotIn"
            case exists = "Exists"
            case doesNotExist = "DoesNotExist"
        }

        public var key: String
        public var `operator`: Operator
        public var values: [String]

        public init(key: String, operator: Operator, values: [String] = []) {
            self.key = key
            self.operator = `operator`
            self.values = values
        }

        /// Why `values` do not suit `op` (In and NotIn need some, Exists and DoesNotExist none); nil when they do.
        public static func valuesProblem(_ op: Operator, _ values: [String]) -> String? {
            switch op {
            case .in, .notIn: values.isEmpty ? "must not be empty for \(op.rawValue)" : nil
            case .exists, .doesNotExist: values.isEmpty ? nil : "must be empty for \(op.rawValue)"
            }
        }

        public func matches(_ labels: [String: String]) -> Bool {
            switch `operator` {
            case .in: return labels[key].map(values.contains) ?? false
            case .notIn: return labels[key].map { !values.contains($0) } ?? true
            case .exists: return labels[key] != nil
            case .doesNotExist: return labels[key] == nil
            }
        }
    }

    public var matchLabels: [String: String]
    public var matchExpressions: [Requirement]

    public init(matchLabels: [String: String] = [:], matchExpressions: [Requirement] = []) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// No requirement at all.
    public var isEmpty: Bool { matchLabels.isEmpty && matchExpressions.isEmpty }

    public func matches(_ labels: [String: String]) -> Bool {
        matchLabels.allSatisfy { labels[$0.key] == $0.value } && matchExpressions.allSatisfy { $0.matches(labels) }
    }
}
