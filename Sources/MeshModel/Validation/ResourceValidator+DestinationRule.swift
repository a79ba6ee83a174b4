/// istiod's validating-webhook rules for DestinationRule (pkg/config/validation), rule for rule; see the
/// "validation-dr" table in Docs/traffic-management.md.
extension ResourceValidator {
    static func validateDestinationRule(_ rule: DestinationRule, into issues: inout IssueList) {
        if rule.host.isEmpty {
            issues.add("spec.host", "required")
        } else if let reason = HostSyntax.wildcardDomainProblem(rule.host) {
            issues.add("spec.host", reason)
        }
        validateExportTo(rule.exportTo, at: "spec.exportTo", into: &issues)
        if let policy = rule.trafficPolicy { validateTrafficPolicy(policy, at: "spec.trafficPolicy", into: &issues) }
        var seen: Set<String> = []
        for (index, subset) in rule.subsets.enumerated() {
            let path = "spec.subsets[\(index)]"
            if subset.name.isEmpty {
                issues.add("\(path).name", "required")
            } else if !HostSyntax.isDNS1123Label(subset.name) {
                issues.add(
                    "\(path).name",
                    "subset name \"\(subset.name)\" is invalid: it must be a DNS-1123 label (letters, digits and '-', at most 63)"
                )
            } else if !seen.insert(subset.name).inserted {
                issues.add("\(path).name", "duplicate subset name \"\(subset.name)\"")
            }
            for key in subset.labels.keys.sorted() where key.isEmpty {
                issues.add("\(path).labels", "label keys must not be empty")
            }
            if let policy = subset.trafficPolicy {
                validateTrafficPolicy(policy, at: "\(path).trafficPolicy", into: &issues)
            }
        }
    }

    /// `exportTo`: `.`, `*` or namespace names, without repeats, and `*` alone.
    static func validateExportTo(_ exportTo: [String], at path: String, into issues: inout IssueList) {
        var seen: Set<String> = []
        for (index, value) in exportTo.enumerated() {
            if !seen.insert(value).inserted {
                issues.add("\(path)[\(index)]", "duplicate entry \"\(value)\" in exportTo")
            } else if value != "." && value != "*" && !HostSyntax.isDNS1123Label(value) {
                issues.add("\(path)[\(index)]", "\"\(value)\" is not \".\", \"*\" or a namespace name")
            }
        }
        if seen.contains("*") && seen.count > 1 {
            issues.add(path, "\"*\" (every namespace) cannot be combined with other values")
        }
    }

    static func validateTrafficPolicy(_ policy: TrafficPolicy, at path: String, into issues: inout IssueList) {
        if let balancer = policy.loadBalancer {
            validateLoadBalancer(balancer, at: "\(path).loadBalancer", into: &issues)
        }
        if let pool = policy.connectionPool {
            validateConnectionPool(pool, at: "\(path).connectionPool", into: &issues)
        }
        if let outlier = policy.outlierDetection {
            validateOutlierDetection(outlier, at: "\(path).outlierDetection", into: &issues)
        }
        if let tls = policy.tls { validateClientTLS(tls, at: "\(path).tls", into: &issues) }
        for (index, setting) in policy.portLevelSettings.enumerated() {
            let settingPath = "\(path).portLevelSettings[\(index)]"
            if let port = setting.port {
                issues.checkPort(port, at: "\(settingPath).port.number")
            } else {
                issues.add("\(settingPath).port", "a port number is required")
            }
            if setting.loadBalancer == nil && setting.connectionPool == nil && setting.outlierDetection == nil
                && setting.tls == nil
            {
                issues.add(settingPath, "port traffic policy must have at least one field")
            }
            if let balancer = setting.loadBalancer {
                validateLoadBalancer(balancer, at: "\(settingPath).loadBalancer", into: &issues)
            }
            if let pool = setting.connectionPool {
                validateConnectionPool(pool, at: "\(settingPath).connectionPool", into: &issues)
            }
            if let outlier = setting.outlierDetection {
                validateOutlierDetection(outlier, at: "\(settingPath).outlierDetection", into: &issues)
            }
            if let tls = setting.tls { validateClientTLS(tls, at: "\(settingPath).tls", into: &issues) }
        }
    }

    static func validateLoadBalancer(_ balancer: LoadBalancerSettings, at path: String, into issues: inout IssueList) {
        if let warmup = balancer.warmupDuration {
            issues.checkDuration(warmup, at: "\(path).warmupDurationSecs")
        }
        if let warmup = balancer.warmup {
            let warmupPath = "\(path).warmup"
            // The CRD's rules: a duration is required, minimumPercent is 0-100, aggression is not negative.
            if let duration = warmup.duration {
                issues.checkDuration(duration, at: "\(warmupPath).duration")
            } else {
                issues.add("\(warmupPath).duration", "required")
            }
            if let percent = warmup.minimumPercent, !(0...100).contains(percent) {
                issues.add("\(warmupPath).minimumPercent", "must be between 0 and 100, found \(percent)")
            }
            if let aggression = warmup.aggression, aggression < 0 {
                issues.add("\(warmupPath).aggression", "must not be negative, found \(aggression)")
            }
        }
        if let locality = balancer.localityLbSetting {
            let localityPath = "\(path).localityLbSetting"
            for issue in locality.problems() {
                issues.add(issue.fieldPath.isEmpty ? localityPath : "\(localityPath).\(issue.fieldPath)", issue.reason)
            }
        }
        guard let hash = balancer.consistentHash else { return }
        let hashPath = "\(path).consistentHash"
        if hash.key == nil {
            issues.add(
                hashPath, "a hash key is required: httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName")
        }
        if case .cookie(let cookie) = hash.key {
            if cookie.name.isEmpty { issues.add("\(hashPath).httpCookie.name", "required for httpCookie") }
            if let ttl = cookie.ttl, ttl < .zero { issues.add("\(hashPath).httpCookie.ttl", "must not be negative") }
        }
        if case .header(let name) = hash.key, name.isEmpty {
            issues.add("\(hashPath).httpHeaderName", "must not be empty")
        }
        if case .queryParameter(let name) = hash.key, name.isEmpty {
            issues.add("\(hashPath).httpQueryParameterName", "must not be empty")
        }
        if let ring = hash.minimumRingSize, ring != 0, hash.algorithm != nil {
            issues.add("\(hashPath).minimumRingSize", "only one of minimumRingSize or maglev/ringHash can be specified")
        }
        // Envoy's limit on a ring (its API refuses larger ones, so the cluster would be NACKed).
        for (ring, ringPath) in [
            (hash.minimumRingSize, "\(hashPath).minimumRingSize"),
            (hash.ringHashMinimumSize, "\(hashPath).ringHash.minimumRingSize"),
        ] {
            if let ring, ring > 8_388_608 {
                issues.add(ringPath, "must be at most 8388608 (Envoy's limit), found \(ring)")
            }
        }
        if case .maglev(let size) = hash.algorithm {
            let sizePath = "\(hashPath).maglev.tableSize"
            if size == 0 {
                issues.add(sizePath, "tableSize must be set for maglev")
            } else if size >= 5_000_011 {
                issues.add(sizePath, "tableSize must be less than 5000011 for maglev")
            } else if !isPrime(size) {
                issues.add(sizePath, "tableSize must be a prime number for maglev, found \(size)")
            }
        }
    }

    /// Envoy's primality test for the Maglev table size (it NACKs a non-prime size).
    static func isPrime(_ value: UInt64) -> Bool {
        if value != 0 && value < 4 { return true }
        if value % 2 == 0 { return false }
        var factor: UInt64 = 3
        while factor * factor <= value {
            if value % factor == 0 { return false }
            factor += 2
        }
        return true
    }

    static func validateConnectionPool(_ pool: ConnectionPoolSettings, at path: String, into issues: inout IssueList) {
        if pool.tcp == nil && pool.http == nil { issues.add(path, "connection pool must have at least one field") }
        if let http = pool.http {
            let httpPath = "\(path).http"
            issues.checkNonNegative(http.http1MaxPendingRequests, at: "\(httpPath).http1MaxPendingRequests")
            issues.checkNonNegative(http.http2MaxRequests, at: "\(httpPath).http2MaxRequests")
            issues.checkNonNegative(http.maxRequestsPerConnection, at: "\(httpPath).maxRequestsPerConnection")
            issues.checkNonNegative(http.maxRetries, at: "\(httpPath).maxRetries")
            issues.checkNonNegative(http.maxConcurrentStreams, at: "\(httpPath).maxConcurrentStreams")
            if let idle = http.idleTimeout { issues.checkDuration(idle, at: "\(httpPath).idleTimeout") }
            if http.h2UpgradePolicy == .upgrade && http.useClientProtocol {
                issues.add("\(httpPath).useClientProtocol", "must not be true when h2UpgradePolicy is UPGRADE")
            }
        }
        if let tcp = pool.tcp {
            let tcpPath = "\(path).tcp"
            issues.checkNonNegative(tcp.maxConnections, at: "\(tcpPath).maxConnections")
            if let timeout = tcp.connectTimeout { issues.checkDuration(timeout, at: "\(tcpPath).connectTimeout") }
            if let duration = tcp.maxConnectionDuration {
                issues.checkDuration(duration, at: "\(tcpPath).maxConnectionDuration")
            }
            // 0s turns the idle timeout off, so it is allowed.
            if let idle = tcp.idleTimeout, idle != .zero { issues.checkDuration(idle, at: "\(tcpPath).idleTimeout") }
            if let keepalive = tcp.tcpKeepalive {
                issues.checkNonNegative(keepalive.probes, at: "\(tcpPath).tcpKeepalive.probes")
                if let time = keepalive.time { issues.checkDuration(time, at: "\(tcpPath).tcpKeepalive.time") }
                if let interval = keepalive.interval {
                    issues.checkDuration(interval, at: "\(tcpPath).tcpKeepalive.interval")
                }
            }
        }
    }

    static func validateOutlierDetection(_ outlier: OutlierDetection, at path: String, into issues: inout IssueList) {
        issues.checkNonNegative(outlier.consecutive5xxErrors, at: "\(path).consecutive5xxErrors")
        issues.checkNonNegative(outlier.consecutiveGatewayErrors, at: "\(path).consecutiveGatewayErrors")
        issues.checkNonNegative(outlier.consecutiveLocalOriginFailures, at: "\(path).consecutiveLocalOriginFailures")
        if !outlier.splitExternalLocalOriginErrors, (outlier.consecutiveLocalOriginFailures ?? 0) > 0 {
            issues.add(
                "\(path).consecutiveLocalOriginFailures",
                "is set, but splitExternalLocalOriginErrors is false (local origin failures are only counted when split)"
            )
        }
        if let interval = outlier.interval { issues.checkDuration(interval, at: "\(path).interval") }
        if let base = outlier.baseEjectionTime { issues.checkDuration(base, at: "\(path).baseEjectionTime") }
        if let percent = outlier.maxEjectionPercent { issues.checkPercent(percent, at: "\(path).maxEjectionPercent") }
        issues.checkPercent(outlier.minHealthPercent, at: "\(path).minHealthPercent")
    }

    /// SIMPLE and MUTUAL read files on the proxy, or a Secret named by `credentialName` (then no file may be named);
    /// MUTUAL without `credentialName` needs both the certificate and the key.
    static func validateClientTLS(_ tls: ClientTLSSettings, at path: String, into issues: inout IssueList) {
        let usesFiles = tls.clientCertificate != nil || tls.privateKey != nil || tls.caCertificates != nil
        if (tls.mode == .simple || tls.mode == .mutual) && tls.credentialName != nil {
            if usesFiles {
                issues.add(path, "cannot specify client certificates or CA certificate if credentialName is set")
            }
            return
        }
        guard tls.mode == .mutual else { return }
        if (tls.clientCertificate ?? "").isEmpty { issues.add("\(path).clientCertificate", "required for MUTUAL") }
        if (tls.privateKey ?? "").isEmpty { issues.add("\(path).privateKey", "required for MUTUAL") }
    }
}

extension IssueList {
    /// istiod's duration rule: at least 1ms, in whole milliseconds.
    mutating func checkDuration(_ duration: Duration, at path: String) {
        if duration < .milliseconds(1) {
            add(path, "duration must be at least 1ms, found \(duration.shortDescription)")
        } else if duration.components.attoseconds % 1_000_000_000_000_000 != 0 {
            add(path, "only durations to millisecond precision are supported")
        }
    }

    mutating func checkNonNegative(_ value: Int?, at path: String) {
        if let value, value < 0 { add(path, "must not be negative, found \(value)") }
    }

    /// Percentages are 0-100.
    mutating func checkPercent(_ value: Int, at path: String) {
        if !(0...100).contains(value) { add(path, "percentage \(value) is out of range 0-100") }
    }
}
