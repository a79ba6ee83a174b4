/// The domains already used in one route configuration. Envoy rejects a route configuration in which two
/// virtual hosts share a domain, so each domain goes to the first virtual host that claims it.
struct DomainSet {
    private var used = Set<String>()

    /// The domains of `candidates` not claimed before (in their order, without repeats), now claimed.
    mutating func claim(_ candidates: [String]) -> [String] {
        candidates.filter { used.insert($0.lowercased()).inserted }
    }
}
