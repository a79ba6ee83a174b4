extension ConfigDecoder {
    /// `spec` of a PeerAuthentication: `selector.matchLabels`, `mtls.mode` and `portLevelMtls`.
    static func decodePeerAuthentication(meta: ObjectMeta, spec: YAMLMapping?) -> PeerAuthentication {
        guard let spec else { return PeerAuthentication(meta: meta) }
        spec.warnUnsupported(handled: ["selector", "mtls", "portLevelMtls"])
        var selector: [String: String]?
        if let mapping = spec.mapping("selector") {
            mapping.warnUnsupported(handled: ["matchLabels"])
            let labels = mapping.stringMap("matchLabels")
            // istiod scopes a policy whose selector names no label like one without a selector (and accepts it).
            if labels.isEmpty {
                mapping.context.warning(
                    mapping.path,
                    "selector has no labels: the policy applies to the whole namespace, as without a selector")
            } else {
                selector = labels
            }
        }
        let mode = spec.mapping("mtls").flatMap { mutualTLSMode($0) }
        var ports: [Int: MutualTLSMode] = [:]
        if let portLevel = spec.mapping("portLevelMtls") {
            // The CRD's rule (minProperties 1): present means at least one port.
            if portLevel.keys.isEmpty { portLevel.context.error(portLevel.path, "must name at least one port") }
            for key in portLevel.keys {
                guard let settings = portLevel.mapping(key) else { continue }
                guard let port = Int(key) else {
                    portLevel.context.error(
                        portLevel.path.appendingField(key), "port \"\(key)\" is not a number")
                    continue
                }
                ports[port] = mutualTLSMode(settings) ?? .unset
            }
        }
        return PeerAuthentication(meta: meta, selector: selector, mode: mode, portLevelModes: ports)
    }

    /// `mode` of an `mtls` block; an unknown mode is an error naming the modes Istio accepts.
    static func mutualTLSMode(_ mtls: YAMLMapping) -> MutualTLSMode? {
        mtls.warnUnsupported(handled: ["mode"])
        guard let field = mtls["mode"], let text = field.string() else { return nil }
        guard let mode = MutualTLSMode(rawValue: text) else {
            field.context.error(
                field.path, "unknown mTLS mode \"\(text)\"; expected UNSET, DISABLE, PERMISSIVE or STRICT")
            return nil
        }
        return mode
    }
}
