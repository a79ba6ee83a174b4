extension ConfigDecoder {
    static func decodeServiceEntry(meta: ObjectMeta, spec: YAMLMapping?) -> ServiceEntry {
        guard let spec else { return ServiceEntry(meta: meta, hosts: [], ports: []) }
        spec.warnUnsupported(handled: [
            "hosts", "addresses", "ports", "location", "resolution", "endpoints", "workloadSelector", "exportTo",
            "subjectAltNames",
        ])
        let ports = spec.sequence("ports").compactMap { item -> ServiceEntryPort? in
            guard let port = item.mapping() else { return nil }
            port.warnUnsupported(handled: ["number", "protocol", "name", "targetPort"])
            return ServiceEntryPort(
                number: port.int("number", .uint32) ?? 0, protocol: port.string("protocol") ?? "TCP",
                name: port.string("name") ?? "",
                targetPort: port.int("targetPort", .uint32))
        }
        var location = ServiceEntry.Location.meshExternal
        if let field = spec["location"], let text = field.string() {
            if let value = ServiceEntry.Location(rawValue: text) {
                location = value
            } else {
                field.context.error(field.path, "unknown location \"\(text)\"; expected MESH_EXTERNAL or MESH_INTERNAL")
            }
        }
        var resolution = ServiceEntry.Resolution.none
        if let field = spec["resolution"], let text = field.string() {
            if let value = ServiceEntry.Resolution(rawValue: text) {
                resolution = value
            } else {
                field.context.error(
                    field.path,
                    "unknown resolution \"\(text)\"; expected NONE, STATIC, DNS, DNS_ROUND_ROBIN or DYNAMIC_DNS")
            }
            if resolution == .dynamicDNS {
                field.context.warning(
                    field.path,
                    "DYNAMIC_DNS is validated but not translated by meshd yet (Envoy's dynamic forward proxy); "
                        + "traffic is passed through to the address the client resolved, as with NONE")
            }
        }
        if !spec.contains("ports") {
            spec.context.warning(
                spec.path.appendingField("ports"), "no ports: the entry adds no cluster or listener")
        }
        let endpoints = spec.sequence("endpoints").compactMap { $0.mapping().map(decodeWorkloadEntrySpec) }
        var selector: [String: String]?
        var selectorWithoutLabels = false
        if let field = spec["workloadSelector"] {
            let workloadSelector = field.mapping()
            workloadSelector?.warnUnsupported(handled: ["labels"])
            selector = workloadSelector?.stringMap("labels") ?? [:]
            selectorWithoutLabels = selector?.isEmpty ?? true
            if selectorWithoutLabels {
                field.context.warning(
                    field.path, "workloadSelector has no labels: it selects every workload in the namespace")
            }
        }
        var entry = ServiceEntry(
            meta: meta, hosts: spec.stringList("hosts"), addresses: spec.stringList("addresses"), ports: ports,
            location: location, resolution: resolution, endpoints: endpoints, workloadSelector: selector,
            exportTo: spec.stringList("exportTo"))
        entry.subjectAltNames = spec.stringList("subjectAltNames")
        entry.workloadSelectorWithoutLabels = selectorWithoutLabels
        return entry
    }
}
