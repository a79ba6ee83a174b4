extension ConfigDecoder {
    static func decodeDestinationRule(meta: ObjectMeta, spec: YAMLMapping?) -> DestinationRule {
        guard let spec else { return DestinationRule(meta: meta, host: "") }
        spec.warnUnsupported(handled: ["host", "trafficPolicy", "subsets", "exportTo"])
        let subsets = spec.sequence("subsets").compactMap { item -> Subset? in
            guard let subset = item.mapping() else { return nil }
            subset.warnUnsupported(handled: ["name", "labels", "trafficPolicy"])
            return Subset(
                name: subset.string("name") ?? "", labels: subset.stringMap("labels"),
                trafficPolicy: subset.mapping("trafficPolicy").map(decodeTrafficPolicy))
        }
        return DestinationRule(
            meta: meta, host: spec.string("host") ?? "", trafficPolicy: spec.mapping("trafficPolicy").map(decodeTrafficPolicy),
            subsets: subsets, exportTo: spec.stringList("exportTo"))
    }

    /// `trafficPolicy`: `loadBalancer.simple` and `tls` are translated so far; every other policy is reported.
    static func decodeTrafficPolicy(_ policy: YAMLMapping) -> TrafficPolicy {
        policy.warnUnsupported(handled: ["loadBalancer", "tls"])
        let tls = policy.mapping("tls").flatMap(decodeClientTLS)
        var result = decodeLoadBalancer(policy)
        result.tls = tls
        return result
    }

    static func decodeLoadBalancer(_ policy: YAMLMapping) -> TrafficPolicy {
        guard let loadBalancer = policy.mapping("loadBalancer") else { return TrafficPolicy() }
        loadBalancer.warnUnsupported(handled: ["simple"])
        guard let field = loadBalancer["simple"], let text = field.string() else { return TrafficPolicy() }
        guard let simple = simpleLoadBalancer(text) else {
            field.context.error(
                field.path,
                "unknown load balancer \"\(text)\"; expected ROUND_ROBIN, LEAST_REQUEST, LEAST_CONN, RANDOM or PASSTHROUGH")
            return TrafficPolicy()
        }
        return TrafficPolicy(loadBalancer: simple)
    }

    /// `LEAST_CONN` is the deprecated spelling of `LEAST_REQUEST`.
    static func simpleLoadBalancer(_ text: String) -> SimpleLoadBalancer? {
        text == "LEAST_CONN" ? .leastRequest : SimpleLoadBalancer(rawValue: text)
    }
}
