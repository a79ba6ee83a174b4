extension ConfigDecoder {
    static func decodeWorkloadEntry(meta: ObjectMeta, spec: YAMLMapping?) -> WorkloadEntry {
        WorkloadEntry(meta: meta, spec: spec.map(decodeWorkloadEntrySpec) ?? WorkloadEntrySpec(address: ""))
    }

    /// The WorkloadEntry body, also used for a ServiceEntry's inline `endpoints`.
    static func decodeWorkloadEntrySpec(_ spec: YAMLMapping) -> WorkloadEntrySpec {
        spec.warnUnsupported(handled: ["address", "ports", "labels", "serviceAccount", "network", "locality", "weight"])
        var ports: [String: Int] = [:]
        if let mapping = spec.mapping("ports") {
            for name in mapping.keys {
                if let number = mapping.int(name, .uint32) { ports[name] = number }
            }
        }
        return WorkloadEntrySpec(
            address: spec.string("address") ?? "", ports: ports, labels: spec.stringMap("labels"),
            serviceAccount: spec.string("serviceAccount"), network: spec.string("network"),
            locality: spec.string("locality"), weight: spec.int("weight", .uint32))
    }
}
