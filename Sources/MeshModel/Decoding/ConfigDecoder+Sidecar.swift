extension ConfigDecoder {
    /// `spec` of a Sidecar: `workloadSelector.labels`, `ingress`, `egress` and `outboundTrafficPolicy.mode`.
    /// Also gives istiod's validation warnings that need the YAML (an empty selector, duplicated egress hosts).
    static func decodeSidecar(meta: ObjectMeta, spec: YAMLMapping?) -> Sidecar {
        guard let spec else { return Sidecar(meta: meta) }
        spec.warnUnsupported(handled: [
            "workloadSelector", "ingress", "egress", "outboundTrafficPolicy",
        ])
        var selector: [String: String]?
        if let mapping = spec.mapping("workloadSelector") {
            mapping.warnUnsupported(handled: ["labels"])
            selector = mapping.stringMap("labels")
            if selector?.isEmpty == true {
                mapping.context.warning(
                    mapping.path,
                    "workload selector specified without labels; applies to every workload in the namespace")
            }
        }
        let ingress = spec.sequence("ingress").compactMap { item -> SidecarIngressListener? in
            guard let listener = item.mapping() else { return nil }
            listener.warnUnsupported(handled: ["port", "bind", "captureMode", "defaultEndpoint", "tls"])
            warnUntranslatedBinding(listener)
            var tlsMode: String?
            if let tls = listener.mapping("tls") {
                tls.context.warning(tls.path, "not supported by meshd yet; the listener serves plaintext")
                tlsMode = tls["mode"]?.string() ?? ""
            }
            return SidecarIngressListener(
                port: listener.mapping("port").map(decodeSidecarPort), bind: listener.string("bind"),
                captureMode: sidecarCaptureMode(listener),
                defaultEndpoint: listener.string("defaultEndpoint"),
                tlsMode: tlsMode)
        }
        let egress = spec.sequence("egress").compactMap { item -> SidecarEgressListener? in
            guard let listener = item.mapping() else { return nil }
            listener.warnUnsupported(handled: ["port", "bind", "captureMode", "hosts"])
            warnUntranslatedBinding(listener)
            let hosts = listener.stringList("hosts")
            warnDuplicatedEgressHosts(hosts, namespace: meta.namespace, listener: listener)
            return SidecarEgressListener(
                port: listener.mapping("port").map(decodeSidecarPort), bind: listener.string("bind"),
                captureMode: sidecarCaptureMode(listener), hosts: hosts)
        }
        var mode: OutboundTrafficPolicyMode?
        if let policy = spec.mapping("outboundTrafficPolicy") {
            policy.warnUnsupported(handled: ["mode"])
            mode = outboundTrafficPolicyMode(policy["mode"]) ?? .allowAny
            if policy.contains("egressProxy") && mode != .allowAny {
                policy.context.error(
                    policy.path.appendingField("egressProxy"),
                    "may only be set with the ALLOW_ANY outbound traffic policy")
            }
        }
        return Sidecar(
            meta: meta, workloadSelector: selector, ingress: ingress, egress: egress,
            outboundTrafficPolicy: mode)
    }

    /// `bind` and a non-DEFAULT `captureMode` are validated but not translated: meshd's listeners bind and capture
    /// as they do without a Sidecar.
    static func warnUntranslatedBinding(_ listener: YAMLMapping) {
        if listener.contains("bind") {
            listener.context.warning(
                listener.path.appendingField("bind"), "validated but not translated by meshd yet; ignored")
        }
        if let mode = listener["captureMode"], let text = mode.string(), text != "DEFAULT" {
            mode.context.warning(
                mode.path, "validated but not translated by meshd yet (iptables capture is assumed)")
        }
    }

    /// `port` of a Sidecar listener. A missing number is 0, which the validator reports where it matters.
    static func decodeSidecarPort(_ port: YAMLMapping) -> SidecarPort {
        port.warnUnsupported(handled: ["number", "protocol", "name", "targetPort"])
        return SidecarPort(
            number: port.int("number", .uint32) ?? 0, protocol: port.string("protocol") ?? "",
            name: port.string("name") ?? "",
            targetPort: port.int("targetPort", .uint32))
    }

    /// `captureMode` of a listener; an unknown mode is an error naming the modes Istio accepts.
    static func sidecarCaptureMode(_ listener: YAMLMapping) -> SidecarCaptureMode? {
        guard let field = listener["captureMode"], let text = field.string() else { return nil }
        guard let mode = SidecarCaptureMode(rawValue: text) else {
            field.context.error(
                field.path, "unknown capture mode \"\(text)\"; expected DEFAULT, IPTABLES or NONE")
            return nil
        }
        return mode
    }

    /// `outboundTrafficPolicy.mode`; nil when absent or unknown (unknown is an error).
    static func outboundTrafficPolicyMode(_ field: YAMLField?) -> OutboundTrafficPolicyMode? {
        guard let field, let text = field.string() else { return nil }
        guard let mode = OutboundTrafficPolicyMode(rawValue: text) else {
            field.context.error(
                field.path,
                "unknown outbound traffic policy \"\(text)\"; expected REGISTRY_ONLY or ALLOW_ANY")
            return nil
        }
        return mode
    }

    /// istiod's warnings for one egress listener: a host repeated (or already covered by `ns/*`) in its namespace,
    /// and `*/*` next to other hosts.
    static func warnDuplicatedEgressHosts(_ hosts: [String], namespace: String, listener: YAMLMapping) {
        var seen: [String: Set<String>] = [:]
        let path = listener.path.appendingField("hosts")
        for (index, host) in hosts.enumerated() {
            let parts = host.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(
                String.init)
            // `~` entries (`~ns/host`, `~/host`) import nothing; they neither repeat nor are covered by `*/*`.
            guard parts.count == 2, !parts[0].hasPrefix("~") else { continue }
            let hostNamespace = parts[0] == "." ? namespace : parts[0]
            let names = seen[hostNamespace, default: []]
            let duplicated =
                parts[1] == "*" ? !names.isEmpty : (names.contains(parts[1]) || names.contains("*"))
            if duplicated {
                listener.context.warning(path.appendingIndex(index), "duplicated egress host \"\(host)\"")
            }
            seen[hostNamespace, default: []].insert(parts[1])
        }
        if seen["*"]?.contains("*") == true && seen.count > 1 {
            listener.context.warning(path, "\"*/*\" selects every host; the other hosts add nothing")
        }
    }
}
