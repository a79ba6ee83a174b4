public import MeshModel

extension LabelSelector {
    /// Reads a selector from its JSON form; throws naming the field under `path` that is wrong.
    public init(json: JSONValue, path: String) throws(InjectError) {
        guard case .object(let members) = json else {
            throw InjectError(reason: "\(path): must be a label selector (matchLabels, matchExpressions)")
        }
        var labels: [String: String] = [:]
        var requirements: [Requirement] = []
        for (key, value) in members {
            switch key {
            case "matchLabels":
                guard case .object(let pairs) = value else {
                    throw InjectError(reason: "\(path).matchLabels: must be a map of strings")
                }
                for (label, labelValue) in pairs {
                    guard let text = labelValue.stringValue else {
                        throw InjectError(reason: "\(path).matchLabels.\(label): must be a string")
                    }
                    labels[label] = text
                }
            case "matchExpressions":
                guard case .array(let items) = value else {
                    throw InjectError(reason: "\(path).matchExpressions: must be a list")
                }
                for (index, item) in items.enumerated() {
                    let itemPath = "\(path).matchExpressions[\(index)]"
                    guard let key = item["key"]?.stringValue, !key.isEmpty else {
                        throw InjectError(reason: "\(itemPath).key: is required")
                    }
                    guard let op = item["operator"]?.stringValue.flatMap(Requirement.Operator.init(rawValue:)) else {
                        throw InjectError(
                            reason: "\(itemPath).operator: must be one of "
                                + Requirement.Operator.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    var values: [String] = []
                    if case .array(let list)? = item["values"] {
                        for entry in list {
                            guard let text = entry.stringValue else {
                                throw InjectError(reason: "\(itemPath).values: must be strings")
                            }
                            values.append(text)
                        }
                    }
                    if let problem = Requirement.valuesProblem(op, values) {
                        throw InjectError(reason: "\(itemPath).values: \(problem)")
                    }
                    requirements.append(Requirement(key: key, operator: op, values: values))
                }
            default:
                throw InjectError(reason: "\(path).\(key): unknown field (expected matchLabels, matchExpressions)")
            }
        }
        self.init(matchLabels: labels, matchExpressions: requirements)
    }
}
