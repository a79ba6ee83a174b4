extension MeshConfigDecoder {
    /// One Kubernetes label selector (`discoverySelectors[i]`): `matchLabels` and `matchExpressions` with the
    /// operators In, NotIn (values required) and Exists, DoesNotExist (no values), as the API server validates them.
    /// A wrong selector is an error at its path, so the mesh config is refused rather than scoped wrongly.
    static func decodeLabelSelector(_ field: YAMLField) -> LabelSelector? {
        guard let mapping = field.mapping() else { return nil }
        mapping.warnUnsupported(handled: ["matchLabels", "matchExpressions"])
        var selector = LabelSelector(matchLabels: mapping.stringMap("matchLabels"))
        for expression in mapping.sequence("matchExpressions") {
            guard let fields = expression.mapping() else { continue }
            fields.warnUnsupported(handled: ["key", "operator", "values"])
            guard let key = fields.string("key"), !key.isEmpty else {
                expression.context.error(expression.path.appendingField("key"), "is required", node: expression.node)
                continue
            }
            let names = LabelSelector.Requirement.Operator.allCases.map(\.rawValue)
            guard let op = fields.string("operator").flatMap(LabelSelector.Requirement.Operator.init(rawValue:)) else {
                expression.context.error(
                    expression.path.appendingField("operator"), "must be one of " + names.joined(separator: ", "),
                    node: expression.node)
                continue
            }
            let values = fields["values"]?.stringList() ?? []
            if let problem = LabelSelector.Requirement.valuesProblem(op, values) {
                expression.context.error(expression.path.appendingField("values"), problem, node: expression.node)
                continue
            }
            selector.matchExpressions.append(.init(key: key, operator: op, values: values))
        }
        return selector
    }
}
