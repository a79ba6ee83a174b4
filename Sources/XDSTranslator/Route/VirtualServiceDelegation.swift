import MeshModel

/// VirtualService delegation (`http[].delegate`), merged as istiod merges it before translating.
///
/// A root route's `delegate` names a VirtualService without hosts (in the root's namespace unless it says another).
/// Each of the delegate's http routes replaces the root route, with its match blocks narrowed by the root's (a block
/// that conflicts with every root block drops that delegate route) and the root's fields filling what the delegate
/// leaves unset. A missing delegate, one not exported to the root's namespace, or one that itself has hosts, drops
/// the root route. Destination hosts of the delegate resolve in the delegate's namespace.
enum VirtualServiceDelegation {
    static func mergedHTTPRoutes(of root: VirtualService, in snapshot: MeshSnapshot) -> [HTTPRoute] {
        guard root.http.contains(where: { $0.delegate != nil }) else { return root.http }
        return root.http.flatMap { http -> [HTTPRoute] in
            guard let delegate = http.delegate else { return [http] }
            guard let child = delegateVirtualService(delegate, of: root, in: snapshot) else { return [] }
            return child.http.compactMap { merge(root: http, delegate: resolved($0, namespace: child.meta.namespace)) }
        }
    }

    /// The VirtualService and the delegates whose routes `mergedHTTPRoutes(of:in:)` takes.
    static func sources(of root: VirtualService, in snapshot: MeshSnapshot) -> [ResourceKey] {
        [root.sourceKey]
            + root.http.compactMap { http in
                http.delegate.flatMap { delegateVirtualService($0, of: root, in: snapshot)?.sourceKey }
            }
    }

    /// The delegate VirtualService, when it exists, has no hosts and is exported to the root's namespace.
    static func delegateVirtualService(
        _ delegate: HTTPDelegate, of root: VirtualService, in snapshot: MeshSnapshot
    )
        -> VirtualService?
    {
        let namespace = delegate.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? root.meta.namespace
        let key = ResourceKey(kind: .virtualService, namespace: namespace, name: delegate.name)
        guard case .virtualService(let child)? = snapshot.objects[key]?.resource, child.hosts.isEmpty else {
            return nil
        }
        guard
            ExportVisibility.isVisible(
                exportTo: child.exportTo, objectNamespace: child.meta.namespace, to: root.meta.namespace)
        else { return nil }
        return child
    }

    /// istiod's mergeHTTPRoute; nil when the delegate's matches conflict with the root's.
    static func merge(root: HTTPRoute, delegate: HTTPRoute) -> HTTPRoute? {
        guard let matches = mergeMatches(root: root.match, delegate: delegate.match) else { return nil }
        var merged = delegate
        merged.match = matches
        merged.delegate = nil
        merged.name = joinedName(root.name, delegate.name)
        merged.rewrite = delegate.rewrite ?? root.rewrite
        merged.directResponse = delegate.directResponse ?? root.directResponse
        merged.timeout = delegate.timeout ?? root.timeout
        merged.retries = delegate.retries ?? root.retries
        merged.fault = delegate.fault ?? root.fault
        merged.mirror = delegate.mirror ?? root.mirror
        merged.mirrorPercentage = delegate.mirrorPercentage ?? root.mirrorPercentage
        merged.corsPolicy = delegate.corsPolicy ?? root.corsPolicy
        if delegate.mirrors.isEmpty { merged.mirrors = root.mirrors }
        merged.headers = delegate.headers ?? root.headers
        return merged
    }

    /// Each delegate block merged with every root block it does not conflict with; nil when a delegate block fits
    /// no root block.
    static func mergeMatches(root: [HTTPMatchRequest], delegate: [HTTPMatchRequest]) -> [HTTPMatchRequest]? {
        if root.isEmpty { return delegate }
        if delegate.isEmpty { return root }
        var result: [HTTPMatchRequest] = []
        for leaf in delegate {
            let fitting = root.filter { !conflicts(root: $0, leaf: leaf) }
            guard !fitting.isEmpty else { return nil }
            result += fitting.map { merge(root: $0, leaf: leaf) }
        }
        return result.isEmpty ? nil : result
    }

    static func merge(root: HTTPMatchRequest, leaf: HTTPMatchRequest) -> HTTPMatchRequest {
        var out = leaf
        out.name = joinedName(root.name, leaf.name)
        out.uri = leaf.uri ?? root.uri
        out.scheme = leaf.scheme ?? root.scheme
        out.method = leaf.method ?? root.method
        out.authority = leaf.authority ?? root.authority
        out.headers = root.headers.merging(leaf.headers) { $1 }
        out.withoutHeaders = root.withoutHeaders.merging(leaf.withoutHeaders) { $1 }
        out.queryParams = root.queryParams.merging(leaf.queryParams) { $1 }
        out.port = (leaf.port ?? 0) != 0 ? leaf.port : root.port
        out.sourceLabels = root.sourceLabels.merging(leaf.sourceLabels) { $1 }
        out.sourceNamespace = nonEmpty(leaf.sourceNamespace) ?? root.sourceNamespace
        if leaf.gateways.isEmpty { out.gateways = root.gateways }
        out.statPrefix = nonEmpty(leaf.statPrefix) ?? root.statPrefix
        return out
    }

    /// istiod's hasConflict: the leaf block must be a narrowing of the root block.
    static func conflicts(root: HTTPMatchRequest, leaf: HTTPMatchRequest) -> Bool {
        let pairs = [
            (root.uri, leaf.uri), (root.scheme, leaf.scheme), (root.method, leaf.method),
            (root.authority, leaf.authority),
        ]
        if pairs.contains(where: { stringMatchConflicts(root: $0.0, leaf: $0.1) }) { return true }
        if leaf.headers.contains(where: { stringMatchConflicts(root: root.headers[$0.key], leaf: $0.value) }) {
            return true
        }
        if leaf.withoutHeaders.contains(where: {
            stringMatchConflicts(root: root.withoutHeaders[$0.key], leaf: $0.value)
        }) {
            return true
        }
        if leaf.queryParams.contains(where: { stringMatchConflicts(root: root.queryParams[$0.key], leaf: $0.value) }) {
            return true
        }
        if root.ignoreUriCase != leaf.ignoreUriCase { return true }
        if let rootPort = root.port, let leafPort = leaf.port, rootPort > 0, leafPort > 0, rootPort != leafPort {
            return true
        }
        if let namespace = nonEmpty(root.sourceNamespace), leaf.sourceNamespace != namespace { return true }
        if leaf.sourceLabels.contains(where: { key, value in root.sourceLabels[key].map { $0 != value } ?? false }) {
            return true
        }
        if !root.gateways.isEmpty && !leaf.gateways.isEmpty && !Set(leaf.gateways).isSubset(of: Set(root.gateways)) {
            return true
        }
        return false
    }

    /// istiod's stringMatchConflict: an unset side never conflicts; regex only pairs with nothing; an exact root
    /// needs the same exact leaf; a prefix root needs a leaf prefix or exact value that starts with it.
    static func stringMatchConflicts(root: StringMatch?, leaf: StringMatch?) -> Bool {
        guard let root, let leaf, root != .any, leaf != .any else { return false }
        switch (root, leaf) {
        case (.regex, _), (_, .regex): return true
        case (.exact(let rootValue), .exact(let leafValue)): return rootValue != leafValue
        case (.exact, _): return true
        case (.prefix(let rootValue), .prefix(let leafValue)), (.prefix(let rootValue), .exact(let leafValue)):
            return !leafValue.hasPrefix(rootValue)
        default: return true
        }
    }

    /// Delegate destinations are written relative to the delegate's namespace.
    static func resolved(_ route: HTTPRoute, namespace: String) -> HTTPRoute {
        var route = route
        func resolve(_ destination: inout Destination) {
            destination.host = Hostname.resolve(destination.host, namespace: namespace)
        }
        for index in route.route.indices { resolve(&route.route[index].destination) }
        if var mirror = route.mirror {
            resolve(&mirror)
            route.mirror = mirror
        }
        for index in route.mirrors.indices { resolve(&route.mirrors[index].destination) }
        return route
    }

    private static func joinedName(_ root: String?, _ leaf: String?) -> String? {
        guard let leaf = nonEmpty(leaf) else { return root }
        guard let root = nonEmpty(root) else { return leaf }
        return "\(root)-\(leaf)"
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
