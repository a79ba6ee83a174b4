import EnvoyAPI
import MeshModel

/// Istio `headers` -> Envoy header lists, as istiod's TranslateHeadersOperations does it.
struct HeaderOperationsTranslation {
    var requestHeadersToAdd: [Envoy_Config_Core_V3_HeaderValueOption] = []
    var responseHeadersToAdd: [Envoy_Config_Core_V3_HeaderValueOption] = []
    var requestHeadersToRemove: [String] = []
    var responseHeadersToRemove: [String] = []
    /// A request `set` (or else `add`) of `host` or `:authority`: Envoy cannot change those by header operations,
    /// so it becomes `host_rewrite_literal` instead.
    var authority: String?

    /// `set` overwrites (OVERWRITE_IF_EXISTS_OR_ADD), `add` appends (APPEND_IF_EXISTS_OR_ADD); each sorted by name,
    /// sets before adds. Pseudo headers and `host` are left out of every list.
    init(_ headers: HeaderOperations?) {
        guard let headers else { return }
        let setOptions = Self.options(headers.request.set, append: false)
        let addOptions = Self.options(headers.request.add, append: true)
        requestHeadersToAdd = setOptions.options + addOptions.options
        authority = setOptions.authority ?? addOptions.authority
        responseHeadersToAdd =
            Self.options(headers.response.set, append: false).options
            + Self.options(headers.response.add, append: true).options
        requestHeadersToRemove = headers.request.remove.filter { !Self.isInternal($0) }
        responseHeadersToRemove = headers.response.remove.filter { !Self.isInternal($0) }
    }

    /// Adds these operations to a route (after any already there).
    func apply(to route: inout Envoy_Config_Route_V3_Route) {
        route.requestHeadersToAdd += requestHeadersToAdd
        route.responseHeadersToAdd += responseHeadersToAdd
        route.requestHeadersToRemove += requestHeadersToRemove
        route.responseHeadersToRemove += responseHeadersToRemove
    }

    /// Sets these operations on one weighted cluster.
    func apply(to cluster: inout Envoy_Config_Route_V3_WeightedCluster.ClusterWeight) {
        cluster.requestHeadersToAdd = requestHeadersToAdd
        cluster.responseHeadersToAdd = responseHeadersToAdd
        cluster.requestHeadersToRemove = requestHeadersToRemove
        cluster.responseHeadersToRemove = responseHeadersToRemove
    }

    static func isInternal(_ name: String) -> Bool { name.hasPrefix(":") || name.lowercased() == "host" }

    private static func options(
        _ headers: [String: String], append: Bool
    )
        -> (options: [Envoy_Config_Core_V3_HeaderValueOption], authority: String?)
    {
        var authority: String?
        var options: [Envoy_Config_Core_V3_HeaderValueOption] = []
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            if name.lowercased() == ":authority" || name.lowercased() == "host" { authority = value }
            if isInternal(name) { continue }
            var header = Envoy_Config_Core_V3_HeaderValue()
            header.key = name
            header.value = value
            var option = Envoy_Config_Core_V3_HeaderValueOption()
            option.header = header
            option.appendAction = append ? .appendIfExistsOrAdd : .overwriteIfExistsOrAdd
            options.append(option)
        }
        return (options, authority)
    }
}
