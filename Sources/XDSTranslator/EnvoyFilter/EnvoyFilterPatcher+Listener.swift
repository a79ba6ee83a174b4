import EnvoyAPI
import MeshModel
import SwiftProtobuf

extension EnvoyFilterPatcher {
    typealias HCM = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager
    typealias HTTPFilter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter

    static let virtualListenerNames: Set<String> = ["virtualInbound", "virtualOutbound"]

    /// LDS with the listener-class patches applied, level by level as istiod does: LISTENER (REMOVE, MERGE), then
    /// its LISTENER_FILTERs, its FILTER_CHAINs (REMOVE, MERGE, then ADD), each chain's NETWORK_FILTERs (list
    /// operations, then MERGE), each HTTP connection manager's HTTP_FILTERs (list operations, then MERGE) and, on the
    /// inbound side, the route configuration it carries inline; then LISTENER ADDs.
    static func patchListeners(
        _ messages: [TranslatedMessage], _ patches: EnvoyFilterPatches, kind: Proxy.Kind
    ) -> [TranslatedMessage] {
        guard !patches.isEmpty else { return messages }
        var result: [TranslatedMessage] = []
        for translated in messages {
            guard var listener = translated.message as? Envoy_Config_Listener_V3_Listener else {
                result.append(translated)
                continue
            }
            let context: PatchContext =
                kind == .router ? .gateway : listener.name == "virtualInbound" ? .sidecarInbound : .sidecarOutbound
            var touched = Touched()
            guard patchListener(&listener, patches, context: context, touched: &touched) else { continue }
            result.append(message(listener, name: listener.name, sources: translated.sources, touched: touched))
        }
        for patch in patches.of(.listener) where patch.patch.operation == .add && addApplies(patch, kind: kind) {
            guard let value = patch.patch.value?.as(Envoy_Config_Listener_V3_Listener.self) else { continue }
            var touched = Touched()
            touched.add(patch)
            result.append(message(value, name: value.name, sources: [], touched: touched))
        }
        return result
    }

    /// False when a REMOVE took the listener out.
    private static func patchListener(
        _ listener: inout Envoy_Config_Listener_V3_Listener, _ patches: EnvoyFilterPatches, context: PatchContext,
        touched: inout Touched
    ) -> Bool {
        for patch in patches.of(.listener)
        where contextMatches(patch, context) && listenerMatches(listener, patch) {
            switch patch.patch.operation {
            case .remove:
                return false
            case .merge, .mergeAndReplaceList:
                guard let value = patch.patch.value?.as(Envoy_Config_Listener_V3_Listener.self) else { continue }
                merge(value, into: &listener, operation: patch.patch.operation)
                touched.add(patch)
            default:
                continue
            }
        }
        for patch in patches.of(.listenerFilter)
        where contextMatches(patch, context) && listenerMatches(listener, patch) {
            let anchor = listenerMatch(patch)?.listenerFilter ?? ""
            let value = patch.patch.value?.as(Envoy_Config_Listener_V3_ListenerFilter.self)
            if patch.patch.operation == .merge || patch.patch.operation == .mergeAndReplaceList {
                guard let value else { continue }
                for index in listener.listenerFilters.indices
                where anchor.isEmpty || listener.listenerFilters[index].name == anchor {
                    merge(value, into: &listener.listenerFilters[index], operation: patch.patch.operation)
                    touched.add(patch)
                }
                continue
            }
            if applyListOperation(
                patch.patch.operation, to: &listener.listenerFilters, value: value, hasAnchor: !anchor.isEmpty,
                matches: { $0.name == anchor })
            {
                touched.add(patch)
            }
        }
        var chains: [Envoy_Config_Listener_V3_FilterChain] = []
        for var chain in listener.filterChains {
            if patchFilterChain(&chain, of: listener, patches, context: context, touched: &touched) {
                chains.append(chain)
            }
        }
        if listener.hasDefaultFilterChain {
            var chain = listener.defaultFilterChain
            if patchFilterChain(&chain, of: listener, patches, context: context, touched: &touched) {
                listener.defaultFilterChain = chain
            } else {
                listener.clearDefaultFilterChain()
            }
        }
        for patch in patches.of(.filterChain)
        where patch.patch.operation == .add && contextMatches(patch, context) && listenerMatches(listener, patch) {
            guard let value = patch.patch.value?.as(Envoy_Config_Listener_V3_FilterChain.self) else { continue }
            chains.append(value)
            touched.add(patch)
        }
        listener.filterChains = chains
        return true
    }

    /// False when a REMOVE took the chain out.
    private static func patchFilterChain(
        _ chain: inout Envoy_Config_Listener_V3_FilterChain, of listener: Envoy_Config_Listener_V3_Listener,
        _ patches: EnvoyFilterPatches, context: PatchContext, touched: inout Touched
    ) -> Bool {
        func chainMatches(_ patch: EnvoyFilterPatches.Applied) -> Bool {
            contextMatches(patch, context) && listenerMatches(listener, patch)
                && filterChainMatches(chain, of: listener, patch)
        }
        for patch in patches.of(.filterChain) where chainMatches(patch) {
            switch patch.patch.operation {
            case .remove:
                return false
            case .merge, .mergeAndReplaceList:
                guard var value = patch.patch.value?.as(Envoy_Config_Listener_V3_FilterChain.self) else { continue }
                if value.hasTransportSocket, chain.hasTransportSocket {
                    value.transportSocket = mergedSocket(value.transportSocket, into: chain.transportSocket)
                }
                merge(value, into: &chain, operation: patch.patch.operation)
                touched.add(patch)
            default:
                continue
            }
        }
        for patch in patches.of(.networkFilter) where chainMatches(patch) {
            let operation = patch.patch.operation
            guard operation != .merge && operation != .mergeAndReplaceList else { continue }
            let anchor = listenerMatch(patch)?.filterChain?.filter?.name
            let value = patch.patch.value?.as(Envoy_Config_Listener_V3_Filter.self)
            if applyListOperation(
                operation, to: &chain.filters, value: value, hasAnchor: anchor != nil,
                matches: { $0.name == anchor })
            {
                touched.add(patch)
            }
        }
        for index in chain.filters.indices {
            for patch in patches.of(.networkFilter) where chainMatches(patch) {
                let operation = patch.patch.operation
                guard operation == .merge || operation == .mergeAndReplaceList,
                    networkFilterMatches(chain.filters[index], patch),
                    let value = patch.patch.value?.as(Envoy_Config_Listener_V3_Filter.self)
                else { continue }
                mergeFilter(value, into: &chain.filters[index], operation: operation)
                touched.add(patch)
            }
            if chain.filters[index].name == NetworkFilters.httpConnectionManagerName {
                patchHTTPConnectionManager(
                    &chain.filters[index], chain: chain, of: listener, patches, context: context, touched: &touched)
            }
        }
        return true
    }

    /// A network filter MERGE: the patch's name (when set) renames it; a typed config of the same type merges into
    /// the filter's.
    private static func mergeFilter(
        _ value: Envoy_Config_Listener_V3_Filter, into filter: inout Envoy_Config_Listener_V3_Filter,
        operation: EnvoyConfigPatch.Operation
    ) {
        guard case .typedConfig(let base)? = filter.configType else { return }
        if !value.name.isEmpty { filter.name = value.name }
        guard case .typedConfig(let patchConfig)? = value.configType else { return }
        filter.typedConfig = mergeTyped(patchConfig, into: base, operation: operation)
    }

    /// Typed configs merged: MERGE appends the encodings of one type; MERGE_AND_REPLACE_LIST unpacks both through the
    /// type registry and merges them with lists replaced.
    static func mergeTyped(
        _ patch: Google_Protobuf_Any, into base: Google_Protobuf_Any, operation: EnvoyConfigPatch.Operation
    ) -> Google_Protobuf_Any {
        guard operation == .mergeAndReplaceList, patch.typeURL == base.typeURL,
            let type = Google_Protobuf_Any.messageType(forTypeURL: base.typeURL)
        else { return mergeAny(patch, into: base) }
        func mergeUnpacked<M: SwiftProtobuf.Message>(_: M.Type) -> Google_Protobuf_Any? {
            guard var merged = try? M(unpackingAny: base), let patchMessage = try? M(unpackingAny: patch) else {
                return nil
            }
            merge(patchMessage, into: &merged, operation: .mergeAndReplaceList)
            return packAny(merged)
        }
        return mergeUnpacked(type) ?? mergeAny(patch, into: base)
    }

    private static func patchHTTPConnectionManager(
        _ filter: inout Envoy_Config_Listener_V3_Filter, chain: Envoy_Config_Listener_V3_FilterChain,
        of listener: Envoy_Config_Listener_V3_Listener, _ patches: EnvoyFilterPatches, context: PatchContext,
        touched: inout Touched
    ) {
        guard case .typedConfig(let any)? = filter.configType, var hcm = try? HCM(unpackingAny: any) else { return }
        var changed = false
        func filterMatches(_ patch: EnvoyFilterPatches.Applied) -> Bool {
            contextMatches(patch, context) && listenerMatches(listener, patch)
                && filterChainMatches(chain, of: listener, patch) && networkFilterMatches(filter, patch)
        }
        for patch in patches.of(.httpFilter) where filterMatches(patch) {
            let operation = patch.patch.operation
            guard operation != .merge && operation != .mergeAndReplaceList else { continue }
            let value = patch.patch.value?.as(HTTPFilter.self)
            let anchor = listenerMatch(patch)?.filterChain?.filter?.subFilter
            if operation == .add, patch.patch.filterClass != .unspecified, let value {
                hcm.httpFilters.insert(value, at: classPosition(patch.patch.filterClass, in: hcm.httpFilters))
                touched.add(patch)
                changed = true
                continue
            }
            if applyListOperation(
                operation, to: &hcm.httpFilters, value: value, hasAnchor: anchor != nil,
                matches: { $0.name == anchor })
            {
                touched.add(patch)
                changed = true
            }
        }
        for index in hcm.httpFilters.indices {
            for patch in patches.of(.httpFilter) where filterMatches(patch) {
                let operation = patch.patch.operation
                guard operation == .merge || operation == .mergeAndReplaceList,
                    httpFilterMatches(hcm.httpFilters[index], patch),
                    case .typedConfig(let base)? = hcm.httpFilters[index].configType,
                    let value = patch.patch.value?.as(HTTPFilter.self)
                else { continue }
                if !value.name.isEmpty { hcm.httpFilters[index].name = value.name }
                if case .typedConfig(let patchConfig)? = value.configType {
                    hcm.httpFilters[index].typedConfig = mergeTyped(patchConfig, into: base, operation: operation)
                }
                touched.add(patch)
                changed = true
            }
        }
        if context == .sidecarInbound, case .routeConfig(var routes)? = hcm.routeSpecifier {
            var routeTouched = Touched()
            patchRouteConfiguration(&routes, patches, context: context, touched: &routeTouched)
            if !routeTouched.filters.isEmpty {
                hcm.routeConfig = routes
                touched.filters.formUnion(routeTouched.filters)
                changed = true
            }
        }
        if changed { filter.typedConfig = packAny(hcm) }
    }

    /// Where an ADD with a filter class goes: AUTHN after the JWT filter (else first), AUTHZ after the last
    /// authorization filter (RBAC, ext_authz; else as AUTHN), STATS just before the router (else last).
    private static func classPosition(_ filterClass: EnvoyConfigPatch.FilterClass, in filters: [HTTPFilter]) -> Int {
        let authn = filters.lastIndex { $0.name == "envoy.filters.http.jwt_authn" }.map { $0 + 1 } ?? 0
        switch filterClass {
        case .authn, .unspecified:
            return authn
        case .authz:
            let authz = filters.lastIndex {
                $0.name == "envoy.filters.http.rbac" || $0.name == "envoy.filters.http.ext_authz"
            }
            return authz.map { $0 + 1 } ?? authn
        case .stats:
            return filters.firstIndex { $0.name == "envoy.filters.http.router" } ?? filters.count
        }
    }

    static func listenerMatch(_ patch: EnvoyFilterPatches.Applied) -> EnvoyConfigPatch.ListenerMatch? {
        guard case .listener(let match)? = patch.patch.match.object else { return nil }
        return match
    }

    /// istiod's listener match: the name; the port of the listener's address, except on the virtual listeners for
    /// anything below LISTENER (there the port selects filter chains by destination port).
    static func listenerMatches(
        _ listener: Envoy_Config_Listener_V3_Listener, _ patch: EnvoyFilterPatches.Applied
    )
        -> Bool
    {
        guard let match = listenerMatch(patch) else { return true }
        if !match.name.isEmpty && match.name != listener.name { return false }
        if patch.patch.applyTo != .listener && virtualListenerNames.contains(listener.name) { return true }
        if match.portNumber != 0 {
            guard listener.address.socketAddress.portValue == UInt32(match.portNumber) else { return false }
        }
        return true
    }

    static func filterChainMatches(
        _ chain: Envoy_Config_Listener_V3_FilterChain, of listener: Envoy_Config_Listener_V3_Listener,
        _ patch: EnvoyFilterPatches.Applied
    ) -> Bool {
        guard let listenerMatch = listenerMatch(patch) else { return true }
        let chainMatch = chain.filterChainMatch
        if virtualListenerNames.contains(listener.name), listenerMatch.portNumber > 0,
            chainMatch.destinationPort.value != UInt32(listenerMatch.portNumber)
        {
            return false
        }
        guard let match = listenerMatch.filterChain else { return true }
        if !match.name.isEmpty && match.name != chain.name { return false }
        if !match.sni.isEmpty && !chainMatch.serverNames.contains(match.sni) { return false }
        if !match.transportProtocol.isEmpty && chainMatch.transportProtocol != match.transportProtocol { return false }
        if !match.applicationProtocols.isEmpty {
            for name in match.applicationProtocols.split(separator: ",")
            where !chainMatch.applicationProtocols.contains(String(name)) {
                return false
            }
        }
        if match.destinationPort > 0 {
            guard chainMatch.hasDestinationPort, chainMatch.destinationPort.value == UInt32(match.destinationPort)
            else { return false }
        }
        return true
    }

    static func networkFilterMatches(
        _ filter: Envoy_Config_Listener_V3_Filter, _ patch: EnvoyFilterPatches.Applied
    )
        -> Bool
    {
        guard let name = listenerMatch(patch)?.filterChain?.filter?.name else { return true }
        return name == filter.name
    }

    static func httpFilterMatches(_ filter: HTTPFilter, _ patch: EnvoyFilterPatches.Applied) -> Bool {
        guard let name = listenerMatch(patch)?.filterChain?.filter?.subFilter else { return true }
        return name == filter.name
    }
}
