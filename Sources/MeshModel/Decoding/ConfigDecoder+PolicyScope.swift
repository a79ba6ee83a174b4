extension ConfigDecoder {
    /// `selector`, `targetRef` and `targetRefs` of a security policy, read as istiod reads them. A selector with no
    /// labels is scoped like no selector (istiod warns and selects every workload of the namespace), so it is kept
    /// as nil with a warning; it still counts as "set" for the one-of rule, which is checked here because the typed
    /// value no longer tells an empty selector from an absent one.
    static func decodePolicyScope(
        _ spec: YAMLMapping
    ) -> (selector: [String: String]?, targetRefs: [PolicyTargetReference]) {
        var selector: [String: String]?
        var selectorWritten = false
        if let mapping = spec.mapping("selector") {
            selectorWritten = true
            mapping.warnUnsupported(handled: ["matchLabels"])
            let labels = mapping.stringMap("matchLabels")
            if labels.isEmpty {
                mapping.context.warning(
                    mapping.path,
                    "workload selector specified without labels: the policy applies to the whole namespace")
            } else {
                selector = labels
            }
        }
        var refs: [PolicyTargetReference] = []
        var singleWritten = false
        if let field = spec["targetRef"] {
            singleWritten = true
            if let ref = decodeTargetReference(field) { refs.append(ref) }
        }
        let list = spec.sequence("targetRefs")
        if list.count > 16 {
            spec.context.error(
                spec.path.appendingField("targetRefs"), "must have at most 16 items, found \(list.count)")
        }
        for item in list {
            if let ref = decodeTargetReference(item) { refs.append(ref) }
        }
        if !refs.isEmpty {
            // istiod applies target refs to waypoints (Service, ServiceEntry) and Gateway API gateways, neither of
            // which meshd serves: the policy selects no sidecar or Istio gateway here. Said, never silent.
            spec.context.warning(
                spec.path.appendingField(singleWritten ? "targetRef" : "targetRefs"),
                "target references select waypoints and Gateway API gateways, which meshd does not serve; "
                    + "this policy applies to no proxy of meshd")
        }
        let written = [selectorWritten, singleWritten, !list.isEmpty].filter { $0 }.count
        if written > 1 {
            let path = singleWritten ? "targetRef" : "targetRefs"
            spec.context.error(
                spec.path.appendingField(path), "only one of targetRefs or selector can be set")
        }
        return (selector, refs)
    }

    /// One `PolicyTargetReference`; nil (with an error) when it is not a mapping.
    static func decodeTargetReference(_ field: YAMLField) -> PolicyTargetReference? {
        if field.isNull {
            field.context.error(field.path, "must be a mapping with kind and name, found null", node: field.node)
            return nil
        }
        guard let mapping = field.mapping() else { return nil }
        mapping.warnUnsupported(handled: ["group", "kind", "name", "namespace"])
        let ref = PolicyTargetReference(
            group: mapping.string("group") ?? "", kind: mapping.string("kind") ?? "",
            name: mapping.string("name") ?? "",
            namespace: mapping.string("namespace"))
        for problem in ResourceValidator.targetReferenceProblems(ref) {
            mapping.context.error(
                problem.field.isEmpty ? mapping.path : mapping.path.appendingField(problem.field), problem.reason)
        }
        return ref
    }

    /// The `istio.io/dry-run` annotation, read as istiod does (Go's `strconv.ParseBool`); another value is warned
    /// about and means false, as in istiod.
    static func dryRun(_ meta: ObjectMeta, root: YAMLMapping) -> Bool {
        guard let value = meta.annotations["istio.io/dry-run"] else { return false }
        switch value {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default:
            root.context.warning(
                "metadata.annotations.istio.io/dry-run",
                "\"\(value)\" is not a boolean; the policy is enforced (not dry run), as istiod does")
            return false
        }
    }

    /// A list field whose items must be strings: a null item is refused (the CRD requires strings), not dropped.
    static func strictStringList(_ mapping: YAMLMapping, _ key: String) -> [String] {
        guard let field = mapping[key], let items = field.sequence() else { return [] }
        var result: [String] = []
        for item in items {
            if item.isNull {
                // An explicit `""` is not null (quoted); a bare `~` or empty item is an empty value.
                result.append("")
            } else if let text = item.string() {
                result.append(text)
            }
        }
        return result
    }
}
