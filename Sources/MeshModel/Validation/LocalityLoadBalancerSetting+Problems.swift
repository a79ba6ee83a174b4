/// istiod's ValidateLocalityLbSetting, rule for rule, with the same messages. It stops at the first problem of
/// the distribute/failover conflicts and of the weights, as istiod does.
extension LocalityLoadBalancerSetting {
    /// Problems with field paths relative to the setting (`distribute[0].to`); empty when valid.
    public func problems() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func add(_ path: String, _ reason: String) { issues.append(ValidationIssue(fieldPath: path, reason: reason)) }
        if !distribute.isEmpty && !failover.isEmpty {
            add("", "can not simultaneously specify 'distribute' and 'failover'")
            return issues
        }
        if !failover.isEmpty,
            let label = failoverPriority.first(where: {
                [TopologyLabels.region, TopologyLabels.zone, TopologyLabels.subzone].contains($0)
            })
        {
            add("failoverPriority", "can not simultaneously set 'failover' and topology label '\(label)' in 'failover_priority'")
            return issues
        }
        for (index, entry) in distribute.enumerated() {
            let path = "distribute[\(index)].to"
            if entry.to.contains(where: { !(1...100).contains($0.weight) }) {
                add(path, "locality weight must be in range [1, 100]")
                return issues
            }
            let total = entry.to.reduce(0) { $0 + $1.weight }
            if total != 100 {
                add(path, "total locality weight \(total) != 100")
                return issues
            }
            if let problem = Self.localitiesProblem(entry.to.map(\.locality)) { add(path, problem) }
        }
        if let problem = Self.localitiesProblem(distribute.map(\.from)) { add("distribute", problem) }
        for (index, entry) in failover.enumerated() {
            let path = "failover[\(index)]"
            if entry.from == entry.to { add(path, "locality lb failover settings must specify different regions") }
            if entry.from.contains("/") || entry.to.contains("/") { add(path, "locality lb failover only specify region") }
            if entry.from.contains("*") || entry.to.contains("*") {
                add(path, "locality lb failover region should not contain '*' wildcard")
            }
        }
        return issues
    }

    /// istiod's validateLocalities: each pattern has at most one `*`, at its end, no empty part, and no pattern
    /// covers another one before it.
    static func localitiesProblem(_ localities: [String]) -> String? {
        // region → zone → subzones; "*" marks "everything below".
        var seen: [String: [String: Set<String>]] = [:]
        for locality in localities {
            let stars = locality.filter { $0 == "*" }.count
            if stars > 1 || (stars == 1 && !locality.hasSuffix("*")) {
                return "locality \(locality) wildcard '*' number can not exceed 1 and must be in the end"
            }
            if seen["*"] != nil { return "locality \(locality) overlap with previous specified ones" }
            let parts = locality.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            if parts.contains(where: \.isEmpty) {
                return "locality \(locality) must not contain empty region/zone/subzone info"
            }
            let overlap = "locality \(locality) overlap with previous specified ones"
            let region = parts[0]
            switch parts.count {
            case 1:
                if seen[region] != nil { return overlap }
                seen[region] = ["*": ["*"]]
            case 2:
                let zone = parts[1]
                if let zones = seen[region], zones["*"] != nil || zones[zone] != nil { return overlap }
                seen[region, default: [:]][zone] = ["*"]
            default:
                let (zone, subzone) = (parts[1], parts[2])
                if let zones = seen[region] {
                    if zones["*"] != nil { return overlap }
                    if let subzones = zones[zone], subzones.contains("*") || subzones.contains(subzone) { return overlap }
                }
                seen[region, default: [:]][zone, default: []].insert(subzone)
            }
        }
        return nil
    }
}
