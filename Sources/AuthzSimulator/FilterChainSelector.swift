import EnvoyAPI

/// Envoy's filter chain matching, in its order of criteria: destination port, destination IP, server name (SNI),
/// transport protocol, application protocols (ALPN), source IP. At each step the chains that name the request's
/// value win over those that leave the criterion out; a chain that names other values is out. No match falls back
/// to the listener's default chain, if any.
enum FilterChainSelector {
    typealias Chain = Envoy_Config_Listener_V3_FilterChain

    /// The transport and ALPN a request arrives with: an Istio mTLS peer sends `istio-peer-exchange` and `istio`;
    /// plaintext HTTP is detected as `http/1.1`; a TLS client with SNI but no peer identity sends no ALPN we know.
    static func connection(of request: SimulatedRequest, http: Bool) -> (transport: String, alpn: [String]) {
        if request.principal != nil {
            return ("tls", ["istio-peer-exchange", "istio", http ? "istio-http/1.1" : "istio"])
        }
        if request.serverName != nil { return ("tls", []) }
        return ("raw_buffer", http ? ["http/1.1"] : [])
    }

    static func select(_ listener: Envoy_Config_Listener_V3_Listener, _ request: SimulatedRequest, http: Bool) -> Chain?
    {
        let (transport, alpn) = connection(of: request, http: http)
        var candidates = listener.filterChains
        candidates = narrow(candidates) { chain in
            let match = chain.filterChainMatch
            return match.hasDestinationPort
                ? match.destinationPort.value == UInt32(clamping: request.destinationPort) : nil
        }
        candidates = narrow(candidates) { chain in
            let ranges = chain.filterChainMatch.prefixRanges
            return ranges.isEmpty ? nil : ranges.contains { Matchers.matches($0, request.destinationIP) }
        }
        candidates = narrow(candidates) { chain in
            let names = chain.filterChainMatch.serverNames
            guard !names.isEmpty else { return nil }
            guard let sni = request.serverName?.lowercased() else { return false }
            return names.contains { name in
                name.hasPrefix("*.") ? sni.hasSuffix(String(name.dropFirst())) : name.lowercased() == sni
            }
        }
        candidates = narrow(candidates) { chain in
            let wanted = chain.filterChainMatch.transportProtocol
            return wanted.isEmpty ? nil : wanted == transport
        }
        candidates = narrow(candidates) { chain in
            let wanted = chain.filterChainMatch.applicationProtocols
            return wanted.isEmpty ? nil : wanted.contains(where: alpn.contains)
        }
        candidates = narrow(candidates) { chain in
            let ranges = chain.filterChainMatch.sourcePrefixRanges
            return ranges.isEmpty ? nil : ranges.contains { Matchers.matches($0, request.sourceIP) }
        }
        if let chosen = candidates.first { return chosen }
        return listener.hasDefaultFilterChain ? listener.defaultFilterChain : nil
    }

    /// Keeps the chains for which `criterion` is true, else those for which it is unset (nil).
    static func narrow(_ chains: [Chain], _ criterion: (Chain) -> Bool?) -> [Chain] {
        let results = chains.map { ($0, criterion($0)) }
        let named = results.filter { $0.1 == true }.map(\.0)
        return named.isEmpty ? results.filter { $0.1 == nil }.map(\.0) : named
    }
}
