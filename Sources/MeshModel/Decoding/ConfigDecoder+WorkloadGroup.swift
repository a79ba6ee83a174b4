extension ConfigDecoder {
    /// `spec` of a WorkloadGroup: `metadata` (labels, annotations), `template` (a WorkloadEntry body) and `probe`.
    /// A missing `spec` or `template` is refused, as istiod's CRD and webhook refuse it.
    static func decodeWorkloadGroup(meta: ObjectMeta, spec: YAMLMapping?, root: YAMLMapping) -> WorkloadGroup? {
        guard let spec else {
            root.context.error("spec", "required: a WorkloadGroup needs a spec with a template")
            return nil
        }
        spec.warnUnsupported(handled: ["metadata", "template", "probe"])
        var group = WorkloadGroup(meta: meta)
        if let metadata = spec.mapping("metadata") {
            metadata.warnUnsupported(handled: ["labels", "annotations"])
            group.labels = metadata.stringMap("labels")
            group.annotations = metadata.stringMap("annotations")
        }
        if let template = spec.mapping("template") {
            group.template = decodeWorkloadEntrySpec(template)
        } else if !spec.contains("template") || spec["template"] == nil {
            spec.context.error(spec.path.appendingField("template"), "template is required")
        }
        if let probe = spec.mapping("probe") {
            group.probe = decodeReadinessProbe(probe)
            probe.context.warning(
                probe.path,
                "istio-agent runs this probe on the VM and reports health to istiod; upstream Envoy has no agent, so "
                    + "meshd keeps an auto-registered entry ready while its proxy is connected (probe ignored)")
        }
        return group
    }

    /// Istio's ReadinessProbe: the thresholds and exactly one of `httpGet`, `tcpSocket`, `exec` or `grpc`.
    static func decodeReadinessProbe(_ probe: YAMLMapping) -> WorkloadGroupProbe {
        let methods = ["httpGet", "tcpSocket", "exec", "grpc"]
        probe.warnUnsupported(
            handled: Set(
                methods + [
                    "initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold",
                ]))
        var result = WorkloadGroupProbe(
            method: nil, initialDelaySeconds: probe.int("initialDelaySeconds", .int32) ?? 0,
            timeoutSeconds: probe.int("timeoutSeconds", .int32) ?? 0,
            periodSeconds: probe.int("periodSeconds", .int32) ?? 0,
            successThreshold: probe.int("successThreshold", .int32) ?? 0,
            failureThreshold: probe.int("failureThreshold", .int32) ?? 0)
        let written = methods.filter { probe[$0] != nil }
        if written.count > 1 {
            probe.context.error(
                probe.path,
                "only one of httpGet, tcpSocket, exec or grpc may be set, found \(written.joined(separator: ", "))")
        }
        guard let name = written.first, let body = probe.mapping(name) else {
            if written.isEmpty {
                probe.context.error(probe.path, "a probe needs one of httpGet, tcpSocket, exec or grpc")
            }
            return result
        }
        switch name {
        case "httpGet":
            body.warnUnsupported(handled: ["path", "port", "host", "scheme", "httpHeaders"])
            var headers: [String] = []
            for item in body.sequence("httpHeaders") {
                guard let header = item.mapping() else { continue }
                header.warnUnsupported(handled: ["name", "value"])
                headers.append(header.string("name") ?? "")
            }
            result.method = .httpGet(
                port: body.int("port", .uint32) ?? 0, path: body.string("path"), host: body.string("host"),
                scheme: body.string("scheme"), headerNames: headers)
        case "tcpSocket":
            body.warnUnsupported(handled: ["host", "port"])
            result.method = .tcpSocket(port: body.int("port", .uint32) ?? 0)
        case "exec":
            body.warnUnsupported(handled: ["command"])
            result.method = .exec(command: body.stringList("command"))
        default:
            body.warnUnsupported(handled: ["port", "service"])
            result.method = .grpc(port: body.int("port", .uint32) ?? 0)
        }
        return result
    }
}
