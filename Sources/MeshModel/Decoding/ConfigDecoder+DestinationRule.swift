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
            meta: meta, host: spec.string("host") ?? "",
            trafficPolicy: spec.mapping("trafficPolicy").map(decodeTrafficPolicy),
            subsets: subsets, exportTo: spec.stringList("exportTo"))
    }

    /// `trafficPolicy` (top level or a subset's): the four policies and `portLevelSettings`.
    static func decodeTrafficPolicy(_ policy: YAMLMapping) -> TrafficPolicy {
        if policy.keys.isEmpty { policy.context.error(policy.path, "traffic policy must have at least one field") }
        policy.warnUnsupported(
            handled: ["loadBalancer", "connectionPool", "outlierDetection", "tls", "portLevelSettings"])
        let ports = policy.sequence("portLevelSettings").compactMap { item -> PortTrafficPolicy? in
            guard let setting = item.mapping() else { return nil }
            setting.warnUnsupported(handled: ["port", "loadBalancer", "connectionPool", "outlierDetection", "tls"])
            var port: Int?
            if let selector = setting.mapping("port") {
                selector.warnUnsupported(handled: ["number"])
                port = selector.int("number", .uint32)
            }
            let result = PortTrafficPolicy(
                port: port, loadBalancer: setting.mapping("loadBalancer").map(decodeLoadBalancer),
                connectionPool: setting.mapping("connectionPool").map(decodeConnectionPool),
                outlierDetection: setting.mapping("outlierDetection").map(decodeOutlierDetection),
                tls: setting.mapping("tls").flatMap(decodeClientTLS))
            warnFailoverWithoutOutlierDetection(result.loadBalancer, result.outlierDetection, in: setting)
            return result
        }
        let result = TrafficPolicy(
            loadBalancer: policy.mapping("loadBalancer").map(decodeLoadBalancer),
            connectionPool: policy.mapping("connectionPool").map(decodeConnectionPool),
            outlierDetection: policy.mapping("outlierDetection").map(decodeOutlierDetection),
            tls: policy.mapping("tls").flatMap(decodeClientTLS), portLevelSettings: ports)
        warnFailoverWithoutOutlierDetection(result.loadBalancer, result.outlierDetection, in: policy)
        return result
    }

    /// istiod's warning: locality failover needs outlier detection in the same policy, or Envoy never sees an
    /// endpoint fail and never moves to the next priority.
    static func warnFailoverWithoutOutlierDetection(
        _ balancer: LoadBalancerSettings?, _ outlier: OutlierDetection?, in policy: YAMLMapping
    ) {
        guard let setting = balancer?.localityLbSetting, outlier == nil,
            !setting.failover.isEmpty || !setting.failoverPriority.isEmpty
        else { return }
        policy.context.warning(
            policy.path.appendingField("loadBalancer").appendingField("localityLbSetting"),
            "outlier detection policy must be provided for failover; without it meshd (like istiod) does not fail over")
    }

    /// `loadBalancer`: `simple` or `consistentHash` (a oneof: both is an error, as protobuf decoding is in istiod).
    static func decodeLoadBalancer(_ loadBalancer: YAMLMapping) -> LoadBalancerSettings {
        loadBalancer.warnUnsupported(
            handled: ["simple", "consistentHash", "warmupDurationSecs", "warmup", "localityLbSetting"])
        var settings = LoadBalancerSettings(warmupDuration: loadBalancer.goDuration("warmupDurationSecs"))
        settings.localityLbSetting = loadBalancer.mapping("localityLbSetting").map(decodeLocalityLbSetting)
        if settings.warmupDuration != nil {
            loadBalancer.context.warning(
                loadBalancer.path.appendingField("warmupDurationSecs"),
                "validated but not translated by meshd yet (Envoy slow start); ignored")
        }
        if let warmup = loadBalancer.mapping("warmup") {
            warmup.warnUnsupported(handled: ["duration", "minimumPercent", "aggression"])
            settings.warmup = LoadBalancerSettings.Warmup(
                duration: warmup.goDuration("duration"), minimumPercent: warmup.double("minimumPercent"),
                aggression: warmup.double("aggression"))
            warmup.context.warning(warmup.path, "validated but not translated by meshd yet (Envoy slow start); ignored")
        }
        if let field = loadBalancer["simple"], let text = field.string() {
            if let simple = simpleLoadBalancer(text) {
                settings.simple = simple
            } else {
                field.context.error(
                    field.path,
                    "unknown load balancer \"\(text)\"; expected ROUND_ROBIN, LEAST_REQUEST, LEAST_CONN, RANDOM or PASSTHROUGH"
                )
            }
        }
        if let hash = loadBalancer.mapping("consistentHash") {
            settings.consistentHash = decodeConsistentHash(hash)
            if loadBalancer.contains("simple") {
                loadBalancer.context.error(
                    loadBalancer.path, "only one of simple or consistentHash may be set (they are a oneof)")
            }
        }
        return settings
    }

    /// `LEAST_CONN` is the deprecated spelling of `LEAST_REQUEST`.
    static func simpleLoadBalancer(_ text: String) -> SimpleLoadBalancer? {
        text == "LEAST_CONN" ? .leastRequest : SimpleLoadBalancer(rawValue: text)
    }

    /// `consistentHash`: one hash key (a oneof) and one algorithm (a oneof).
    static func decodeConsistentHash(_ hash: YAMLMapping) -> ConsistentHashLB {
        let keyFields = ["httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName"]
        hash.warnUnsupported(handled: Set(keyFields + ["ringHash", "maglev", "minimumRingSize"]))
        let presentKeys = keyFields.filter { hash.contains($0) }
        if presentKeys.count > 1 {
            hash.context.error(
                hash.path, "only one hash key may be set, found \(presentKeys.joined(separator: " and "))")
        }
        var key: ConsistentHashLB.Key?
        if let header = hash.string("httpHeaderName") {
            key = .header(header)
        } else if let cookie = hash.mapping("httpCookie") {
            cookie.warnUnsupported(handled: ["name", "path", "ttl"])
            key = .cookie(
                HTTPCookie(
                    name: cookie.string("name") ?? "", path: cookie.string("path"), ttl: cookie.goDuration("ttl")))
        } else if let useSourceIP = hash.bool("useSourceIp") {
            key = useSourceIP ? .sourceIP : nil
        } else if let parameter = hash.string("httpQueryParameterName") {
            key = .queryParameter(parameter)
        }
        var algorithm: ConsistentHashLB.Algorithm?
        if let ring = hash.mapping("ringHash") {
            ring.warnUnsupported(handled: ["minimumRingSize"])
            algorithm = .ringHash(minimumRingSize: ring.unsigned("minimumRingSize") ?? 0)
        }
        if let maglev = hash.mapping("maglev") {
            maglev.warnUnsupported(handled: ["tableSize"])
            if algorithm != nil { hash.context.error(hash.path, "only one of ringHash or maglev may be set") }
            algorithm = .maglev(tableSize: maglev.unsigned("tableSize") ?? 0)
        }
        let deprecatedRing = hash.unsigned("minimumRingSize")
        return ConsistentHashLB(key: key, algorithm: algorithm, minimumRingSize: deprecatedRing)
    }
}

extension YAMLMapping {
    /// A uint64 field: a negative number is an error, as protobuf decoding makes it in istiod.
    func unsigned(_ key: String) -> UInt64? {
        guard let field = self[key], let value = field.int(.int64) else { return nil }
        guard value >= 0 else {
            context.error(field.path, "must not be negative, found \(value)", node: field.node)
            return nil
        }
        return UInt64(value)
    }
}
