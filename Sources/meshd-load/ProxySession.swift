import EnvoyAPI

/// Envoy's side of one SotW ADS stream, as a pure state machine: it says which requests to send after each
/// response, and whether the proxy has fully synced (every type's latest response ACKed, for the names that the
/// latest CDS and LDS responses asked for).
///
/// Like Envoy: CDS and LDS are wildcard and requested at once; EDS asks for the clusters CDS named, RDS for the
/// route configurations LDS named. A NACKing proxy rejects every RDS response (with `error_detail`) instead of
/// ACKing it, and counts as settled once it has said so.
struct ProxySession {
    typealias Request = Envoy_Service_Discovery_V3_DiscoveryRequest
    typealias Response = Envoy_Service_Discovery_V3_DiscoveryResponse

    /// What the proxy knows about one type.
    struct TypeState {
        var names: [String] = []
        var requested = false
        /// The last accepted version and the nonce of the last response.
        var version = ""
        var nonce = ""
        /// A response arrived since the names were last changed, and was answered (ACK or NACK).
        var answered = false
        var contentHash: Int?
    }

    let node: Envoy_Config_Core_V3_Node
    let nacks: Bool
    private(set) var types: [TypeState] = Array(repeating: TypeState(), count: XDSKind.allCases.count)
    private var sentNode = false

    init(node: Envoy_Config_Core_V3_Node, nacks: Bool) {
        self.node = node
        self.nacks = nacks
    }

    /// True once every type has answered its latest response; a proxy that never got RDS names needs no RDS.
    var isSynced: Bool {
        XDSKind.allCases.allSatisfy { kind in
            let state = types[kind.rawValue]
            if kind == .route || kind == .endpoint, state.names.isEmpty, types[kind == .route ? 2 : 0].answered {
                return true
            }
            return state.requested && state.answered
        }
    }

    /// The first requests on a new stream: CDS then LDS, both wildcard.
    mutating func start() -> [Request] {
        [request(.cluster, names: []), request(.listener, names: [])]
    }

    /// Handles one response. `followUpNames` are the EDS names (for a CDS response) or RDS names (for LDS),
    /// derived by the caller from the response's content. Returns the requests to send, in order.
    mutating func received(_ response: Response, kind: XDSKind, contentHash: Int, followUpNames: [String]?) -> [Request]
    {
        var out: [Request] = []
        var state = types[kind.rawValue]
        state.nonce = response.nonce
        state.contentHash = contentHash
        state.answered = true
        if nacks && kind == .route {
            var nack = request(kind, names: state.names, version: state.version, nonce: response.nonce)
            nack.errorDetail.code = 3
            nack.errorDetail.message = "meshd-load: simulated rejection of \(response.versionInfo)"
            types[kind.rawValue] = state
            return [nack]
        }
        state.version = response.versionInfo
        types[kind.rawValue] = state
        out.append(request(kind, names: state.names, version: state.version, nonce: state.nonce))
        if let followUpNames, let next = kind.followUp {
            var follow = types[next.rawValue]
            if !follow.requested || follow.names != followUpNames {
                follow.names = followUpNames
                follow.requested = true
                follow.answered = false
                types[next.rawValue] = follow
                if !followUpNames.isEmpty || follow.nonce != "" {
                    out.append(request(next, names: followUpNames, version: follow.version, nonce: follow.nonce))
                }
            }
        }
        return out
    }

    private mutating func request(_ kind: XDSKind, names: [String], version: String = "", nonce: String = "") -> Request
    {
        if kind == .cluster || kind == .listener { types[kind.rawValue].requested = true }
        var request = Request()
        request.typeURL = kind.typeURL
        request.resourceNames = names
        request.versionInfo = version
        request.responseNonce = nonce
        if !sentNode {
            request.node = node
            sentNode = true
        }
        return request
    }
}

extension XDSKind {
    /// The type whose names this type's content decides (CDS → EDS, LDS → RDS).
    var followUp: XDSKind? {
        switch self {
        case .cluster: .endpoint
        case .listener: .route
        case .endpoint, .route: nil
        }
    }
}
