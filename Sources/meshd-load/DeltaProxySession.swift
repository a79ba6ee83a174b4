import EnvoyAPI

/// Envoy's side of one Delta ADS stream, as a pure state machine. It keeps what the proxy holds (name →
/// version and content hash) across reconnects, sends it as `initial_resource_versions` on the next stream, and
/// counts resources the server re-sent although the proxy already held that exact version.
struct DeltaProxySession {
    typealias Request = Envoy_Service_Discovery_V3_DeltaDiscoveryRequest
    typealias Response = Envoy_Service_Discovery_V3_DeltaDiscoveryResponse

    struct Held {
        var version: String
        var hash: Int
        /// For CDS and LDS: the EDS or RDS names this resource makes the proxy ask for.
        var followUp: [String]
    }

    let node: Envoy_Config_Core_V3_Node
    let nacks: Bool
    private(set) var held: [[String: Held]] = Array(repeating: [:], count: XDSKind.allCases.count)
    /// `contentHash` of each kind, kept up to date as entries change (an XOR over the entries), so that a response
    /// that changes two of 5,000 resources costs two updates, not a walk over everything held.
    private var digests = [Int](repeating: 0, count: XDSKind.allCases.count)
    private var subscribed: [Set<String>] = Array(repeating: [], count: XDSKind.allCases.count)
    private var answered = [Bool](repeating: false, count: XDSKind.allCases.count)
    private var requested = [Bool](repeating: false, count: XDSKind.allCases.count)

    init(node: Envoy_Config_Core_V3_Node, nacks: Bool) {
        self.node = node
        self.nacks = nacks
    }

    var isSynced: Bool {
        XDSKind.allCases.allSatisfy { kind in
            answered[kind.rawValue]
                || (requested[kind.rawValue] && subscribed[kind.rawValue].isEmpty && kind.followUp == nil)
        }
    }

    /// A hash of everything held of `kind`, so a change of any resource changes it.
    func contentHash(_ kind: XDSKind) -> Int { digests[kind.rawValue] }

    /// One entry's part of `contentHash`.
    private static func entryDigest(_ name: String, _ entry: Held?) -> Int {
        guard let entry else { return 0 }
        return (name.hashValue &* 31) &+ entry.hash
    }

    /// Sets what the proxy holds of `name`, keeping `digests` in step.
    private mutating func hold(_ kind: XDSKind, _ name: String, _ entry: Held?) {
        let old = held[kind.rawValue][name]
        digests[kind.rawValue] ^= Self.entryDigest(name, old) ^ Self.entryDigest(name, entry)
        held[kind.rawValue][name] = entry
    }

    /// The first requests on a (new) stream: wildcard CDS and LDS, and the EDS and RDS names already known, each
    /// with the versions held, as Envoy does on reconnect.
    mutating func start() -> [Request] {
        answered = Array(repeating: false, count: XDSKind.allCases.count)
        var out: [Request] = []
        for kind in [XDSKind.cluster, .listener, .endpoint, .route] {
            if kind.followUp == nil, subscribed[kind.rawValue].isEmpty { continue }
            var request = Request()
            request.typeURL = kind.typeURL
            request.resourceNamesSubscribe = kind.followUp == nil ? subscribed[kind.rawValue].sorted() : []
            request.initialResourceVersions = held[kind.rawValue].mapValues(\.version)
            if out.isEmpty { request.node = node }
            requested[kind.rawValue] = true
            out.append(request)
        }
        return out
    }

    /// Applies a response. `followUp(resource)` gives the EDS/RDS names of one CDS/LDS resource. Returns the
    /// requests to send and how many resources arrived with a version the proxy already held.
    mutating func received(
        _ response: Response, kind: XDSKind, hashOf: (Envoy_Service_Discovery_V3_Resource) -> Int,
        followUp: (Envoy_Service_Discovery_V3_Resource, Int) -> [String]
    ) -> (requests: [Request], unchangedResent: Int) {
        var unchanged = 0
        for resource in response.resources {
            if held[kind.rawValue][resource.name]?.version == resource.version { unchanged += 1 }
            let hash = hashOf(resource)
            hold(
                kind, resource.name,
                Held(
                    version: resource.version, hash: hash,
                    followUp: kind.followUp == nil ? [] : followUp(resource, hash)))
        }
        for name in response.removedResources { hold(kind, name, nil) }
        let table = held[kind.rawValue]
        answered[kind.rawValue] = true

        var ack = Request()
        ack.typeURL = kind.typeURL
        ack.responseNonce = response.nonce
        if nacks && kind == .route {
            ack.errorDetail.code = 3
            ack.errorDetail.message = "meshd-load: simulated rejection of \(response.systemVersionInfo)"
        }
        var out = [ack]
        if let next = kind.followUp {
            let wanted = Set(table.values.flatMap(\.followUp))
            let current = subscribed[next.rawValue]
            if wanted != current || !requested[next.rawValue] {
                var change = Request()
                change.typeURL = next.typeURL
                change.resourceNamesSubscribe = wanted.subtracting(current).sorted()
                change.resourceNamesUnsubscribe = current.subtracting(wanted).sorted()
                for name in change.resourceNamesUnsubscribe { hold(next, name, nil) }
                subscribed[next.rawValue] = wanted
                requested[next.rawValue] = true
                if !change.resourceNamesSubscribe.isEmpty || !change.resourceNamesUnsubscribe.isEmpty {
                    answered[next.rawValue] = false
                    out.append(change)
                }
            }
        }
        return (out, unchanged)
    }
}
