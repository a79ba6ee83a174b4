import Foundation

extension ConfigDecoder {
    /// The HTTP connection manager's filter name, and its deprecated spelling that istiod still accepts in matches.
    static let httpConnectionManagerName = "envoy.filters.network.http_connection_manager"
    static let deprecatedFilterNames: [String: String] = [
        "envoy.http_connection_manager": "envoy.filters.network.http_connection_manager",
        "envoy.tcp_proxy": "envoy.filters.network.tcp_proxy",
        "envoy.router": "envoy.filters.http.router",
        "envoy.cors": "envoy.filters.http.cors",
        "envoy.fault": "envoy.filters.http.fault",
        "envoy.lua": "envoy.filters.http.lua",
        "envoy.ext_authz": "envoy.filters.http.ext_authz",
        "envoy.listener.tls_inspector": "envoy.filters.listener.tls_inspector",
        "envoy.listener.original_dst": "envoy.filters.listener.original_dst",
        "envoy.listener.http_inspector": "envoy.filters.listener.http_inspector",
    ]

    /// `spec` of an EnvoyFilter: `workloadSelector`, `targetRefs`, `priority` and `configPatches`, with istiod's
    /// validation (its webhook's and its CRD's rules), each refusal naming the patch index.
    static func decodeEnvoyFilter(meta: ObjectMeta, spec: YAMLMapping?, root: YAMLMapping) -> EnvoyFilter {
        var filter = EnvoyFilter(meta: meta)
        filter.creationTimestamp = root.mapping("metadata")?.string("creationTimestamp")
        guard let spec else { return filter }
        spec.warnUnsupported(handled: ["workloadSelector", "targetRefs", "priority", "configPatches"])
        spec.context.warning(
            spec.path,
            "EnvoyFilter exposes internal implementation details that may change at any time; prefer other APIs "
                + "where possible, and take care around upgrades")
        if let selector = spec.mapping("workloadSelector") {
            selector.warnUnsupported(handled: ["labels"])
            let labels = selector.stringMap("labels")
            if labels.isEmpty {
                selector.context.warning(
                    selector.path, "workload selector without labels: the filter applies to the whole namespace")
            } else {
                for key in labels.keys.sorted() where !HostSyntax.isLabelKey(key) {
                    selector.context.error(selector.path.appendingField("labels"), "invalid label key \"\(key)\"")
                }
                filter.workloadSelector = labels
            }
        }
        let refs = spec.sequence("targetRefs")
        for item in refs {
            if let ref = decodeTargetReference(item) { filter.targetRefs.append(ref) }
        }
        if !refs.isEmpty {
            spec.context.warning(
                spec.path.appendingField("targetRefs"),
                "istiod applies an EnvoyFilter with target references to no proxy yet, and neither does meshd")
            if filter.workloadSelector != nil {
                spec.context.error(
                    spec.path.appendingField("targetRefs"), "only one of targetRefs or workloadSelector can be set")
            }
        }
        filter.priority = spec.int("priority", .int32) ?? 0
        for (index, item) in spec.sequence("configPatches").enumerated() {
            if let patch = decodeConfigPatch(item, index: index) { filter.configPatches.append(patch) }
        }
        return filter
    }

    private static func decodeConfigPatch(_ item: YAMLField, index: Int) -> EnvoyConfigPatch? {
        guard !item.isNull else {
            item.context.error(item.path, "Envoy filter: null config patch", node: item.node)
            return nil
        }
        guard let entry = item.mapping() else { return nil }
        entry.warnUnsupported(handled: ["applyTo", "match", "patch"])
        guard let applyToText = entry.string("applyTo"), applyToText != "INVALID" else {
            entry.context.error(entry.path.appendingField("applyTo"), "Envoy filter: missing applyTo")
            return nil
        }
        guard let applyTo = EnvoyConfigPatch.ApplyTo(rawValue: applyToText) else {
            entry.context.error(
                entry.path.appendingField("applyTo"),
                "unknown applyTo \"\(applyToText)\"; expected one of "
                    + EnvoyConfigPatch.ApplyTo.allCases.map(\.rawValue).joined(separator: ", "))
            return nil
        }
        guard let patch = entry.mapping("patch") else {
            entry.context.error(entry.path.appendingField("patch"), "Envoy filter: missing patch")
            return nil
        }
        patch.warnUnsupported(handled: ["operation", "value", "filterClass"])
        guard let operationText = patch.string("operation"), operationText != "INVALID" else {
            patch.context.error(patch.path.appendingField("operation"), "Envoy filter: missing patch operation")
            return nil
        }
        guard let operation = EnvoyConfigPatch.Operation(rawValue: operationText) else {
            patch.context.error(
                patch.path.appendingField("operation"),
                "unknown operation \"\(operationText)\"; expected one of "
                    + EnvoyConfigPatch.Operation.allCases.map(\.rawValue).joined(separator: ", "))
            return nil
        }
        var filterClass = EnvoyConfigPatch.FilterClass.unspecified
        if let text = patch.string("filterClass") {
            if let value = EnvoyConfigPatch.FilterClass(rawValue: text) {
                filterClass = value
            } else {
                patch.context.error(
                    patch.path.appendingField("filterClass"),
                    "unknown filterClass \"\(text)\"; expected UNSPECIFIED, AUTHN, AUTHZ or STATS")
            }
        }
        let match = entry.mapping("match").map { decodePatchMatch($0, applyTo: applyTo) } ?? EnvoyConfigPatch.Match()
        var value: EnvoyPatchValue?
        if let field = patch["value"] {
            // nil: refused (an error at the field's path) or left out (a warning there); either way not applied.
            value = EnvoyPatchValueDecoder.decode(field, applyTo: applyTo, operation: operation)
            if value == nil { return nil }
        } else if operation != .remove {
            patch.context.error(
                patch.path.appendingField("value"), "Envoy filter: missing patch value for non-remove operation")
            return nil
        }
        warnUnapplied(applyTo: applyTo, operation: operation, path: entry.path, context: entry.context)
        return EnvoyConfigPatch(
            applyTo: applyTo, match: match, operation: operation, filterClass: filterClass, value: value)
    }

    /// Patches istiod accepts that have no effect, or that meshd does not apply: said, never silent.
    private static func warnUnapplied(
        applyTo: EnvoyConfigPatch.ApplyTo, operation: EnvoyConfigPatch.Operation, path: String,
        context: DecodeContext
    ) {
        let supported: Set<EnvoyConfigPatch.Operation>
        switch applyTo {
        case .extensionConfig: supported = [.add]
        case .bootstrap:
            context.warning(
                path.appendingField("applyTo"),
                "BOOTSTRAP patches change an Envoy's bootstrap, which the xDS server cannot: they apply where the "
                    + "bootstrap is made, with meshd bootstrap --envoy-filters")
            if operation != .merge {
                context.warning(
                    path.appendingField("patch").appendingField("operation"),
                    "only MERGE changes a bootstrap (as in istiod); the patch changes nothing")
            }
            return
        case .listener: supported = [.merge, .mergeAndReplaceList, .add, .remove]
        case .filterChain: supported = [.merge, .mergeAndReplaceList, .add, .remove]
        case .routeConfiguration: supported = [.merge, .mergeAndReplaceList]
        case .virtualHost: supported = [.merge, .mergeAndReplaceList, .add, .remove, .replace]
        case .httpRoute:
            supported = [.merge, .mergeAndReplaceList, .add, .remove, .insertBefore, .insertAfter, .insertFirst]
        case .cluster: supported = [.merge, .mergeAndReplaceList, .add, .remove]
        case .networkFilter, .httpFilter, .listenerFilter:
            supported = [
                .merge, .mergeAndReplaceList, .add, .remove, .insertBefore, .insertAfter, .insertFirst, .replace,
            ]
        }
        if !supported.contains(operation) {
            context.warning(
                path.appendingField("patch").appendingField("operation"),
                "\(operation.rawValue) has no effect on \(applyTo.rawValue) (as in istiod); the patch changes nothing")
        }
    }

    private static func decodePatchMatch(
        _ match: YAMLMapping, applyTo: EnvoyConfigPatch.ApplyTo
    )
        -> EnvoyConfigPatch.Match
    {
        match.warnUnsupported(handled: ["context", "proxy", "listener", "routeConfiguration", "cluster", "waypoint"])
        var result = EnvoyConfigPatch.Match()
        if let text = match.string("context") {
            if let context = EnvoyConfigPatch.Context(rawValue: text) {
                result.context = context
            } else {
                match.context.error(
                    match.path.appendingField("context"),
                    "unknown context \"\(text)\"; expected ANY, SIDECAR_INBOUND, SIDECAR_OUTBOUND, GATEWAY or WAYPOINT")
            }
        }
        if let proxy = match.mapping("proxy") {
            proxy.warnUnsupported(handled: ["proxyVersion", "metadata"])
            if let version = proxy.string("proxyVersion"), !version.isEmpty {
                if (try? NSRegularExpression(pattern: version)) == nil {
                    proxy.context.error(
                        proxy.path.appendingField("proxyVersion"),
                        "Envoy filter: invalid regex for proxy version, [\(version)]")
                }
                result.proxyVersion = version
            }
            result.proxyMetadata = proxy.stringMap("metadata")
        }
        let objects = ["listener", "routeConfiguration", "cluster", "waypoint"].filter { match.contains($0) }
        if objects.count > 1 {
            match.context.error(
                match.path.appendingField(objects[1]),
                "only one of listener, routeConfiguration, cluster or waypoint may be set, found "
                    + objects.joined(separator: " and "))
        }
        let isWaypoint = result.context == .waypoint
        if objects.contains("waypoint") != isWaypoint && (isWaypoint ? !objects.isEmpty : true) {
            match.context.error(match.path, "only support waypointMatch when context is WAYPOINT")
        }
        if let listener = match.mapping("listener") {
            result.object = .listener(decodeListenerMatch(listener, applyTo: applyTo))
        } else if let route = match.mapping("routeConfiguration") {
            result.object = .routeConfiguration(decodeRouteConfigurationMatch(route))
        } else if let cluster = match.mapping("cluster") {
            cluster.warnUnsupported(handled: ["portNumber", "service", "subset", "name"])
            var value = EnvoyConfigPatch.ClusterMatch()
            value.portNumber = cluster.int("portNumber", .uint32) ?? 0
            value.service = cluster.string("service") ?? ""
            value.subset = cluster.string("subset") ?? ""
            value.name = cluster.string("name") ?? ""
            result.object = .cluster(value)
        } else if let waypoint = match.mapping("waypoint") {
            waypoint.warnUnsupported(handled: ["portNumber", "filter", "route"])
            if let port = waypoint.int("portNumber", .uint32), !(1...65535).contains(port) {
                waypoint.context.error(waypoint.path.appendingField("portNumber"), "port must be between 1-65535")
            }
            result.object = .waypoint
        }
        checkObjectClass(result.object, applyTo: applyTo, path: match.path, context: match.context)
        return result
    }

    /// istiod's rule that `applyTo` and the kind of match line up.
    private static func checkObjectClass(
        _ object: EnvoyConfigPatch.ObjectMatch?, applyTo: EnvoyConfigPatch.ApplyTo, path: String,
        context: DecodeContext
    ) {
        guard let object else { return }
        switch applyTo {
        case .listener, .filterChain, .networkFilter, .httpFilter:
            if case .listener = object { return }
            if case .waypoint = object { return }
            context.error(path, "Envoy filter: applyTo for listener class objects cannot have non listener match")
        case .routeConfiguration, .virtualHost, .httpRoute:
            if case .routeConfiguration = object { return }
            if case .waypoint = object { return }
            context.error(
                path, "Envoy filter: applyTo for http route class objects cannot have non route configuration match")
        case .cluster:
            if case .cluster = object { return }
            if case .waypoint = object { return }
            context.error(path, "Envoy filter: applyTo for cluster class objects cannot have non cluster match")
        case .extensionConfig, .bootstrap, .listenerFilter:
            return
        }
    }

    private static func decodeListenerMatch(
        _ listener: YAMLMapping, applyTo: EnvoyConfigPatch.ApplyTo
    )
        -> EnvoyConfigPatch.ListenerMatch
    {
        listener.warnUnsupported(handled: ["portNumber", "portName", "filterChain", "listenerFilter", "name"])
        if listener.contains("portName") {
            listener.context.warning(
                listener.path.appendingField("portName"), "deprecated and unused by istiod; ignored")
        }
        var result = EnvoyConfigPatch.ListenerMatch()
        result.portNumber = listener.int("portNumber", .uint32) ?? 0
        result.name = listener.string("name") ?? ""
        result.listenerFilter = listener.string("listenerFilter") ?? ""
        guard let chain = listener.mapping("filterChain") else { return result }
        chain.warnUnsupported(handled: [
            "name", "sni", "transportProtocol", "applicationProtocols", "filter", "destinationPort",
        ])
        var match = EnvoyConfigPatch.FilterChainMatch()
        match.name = chain.string("name") ?? ""
        match.sni = chain.string("sni") ?? ""
        match.transportProtocol = chain.string("transportProtocol") ?? ""
        match.applicationProtocols = chain.string("applicationProtocols") ?? ""
        match.destinationPort = chain.int("destinationPort", .uint32) ?? 0
        if let filter = chain.mapping("filter") {
            filter.warnUnsupported(handled: ["name", "subFilter"])
            var value = EnvoyConfigPatch.FilterMatch()
            value.name = filter.string("name") ?? ""
            let path = filter.path
            if applyTo == .listener || applyTo == .filterChain {
                filter.context.warning(
                    path, "Envoy filter: filter match has no effect when used with \(applyTo.rawValue)")
            }
            if value.name.isEmpty {
                filter.context.error(path.appendingField("name"), "Envoy filter: filter match has no name to match on")
            } else if let sub = filter.mapping("subFilter") {
                sub.warnUnsupported(handled: ["name"])
                let name = sub.string("name") ?? ""
                if applyTo != .httpFilter {
                    sub.context.error(
                        sub.path, "Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only")
                } else if value.name != httpConnectionManagerName && value.name != "envoy.http_connection_manager" {
                    sub.context.error(
                        sub.path,
                        "Envoy filter: subfilter match requires filter match with \(httpConnectionManagerName)")
                } else if name.isEmpty {
                    sub.context.error(
                        sub.path.appendingField("name"), "Envoy filter: subfilter match has no name to match on")
                }
                value.subFilter = name
                warnDeprecatedName(name, path: sub.path.appendingField("name"), context: sub.context)
            }
            warnDeprecatedName(value.name, path: path.appendingField("name"), context: filter.context)
            match.filter = value
        }
        result.filterChain = match
        return result
    }

    private static func warnDeprecatedName(_ name: String, path: String, context: DecodeContext) {
        if let newName = deprecatedFilterNames[name] {
            context.warning(path, "using deprecated filter name \"\(name)\"; use \"\(newName)\" instead")
        }
    }

    private static func decodeRouteConfigurationMatch(
        _ route: YAMLMapping
    )
        -> EnvoyConfigPatch.RouteConfigurationMatch
    {
        route.warnUnsupported(handled: ["portNumber", "portName", "gateway", "vhost", "name"])
        var result = EnvoyConfigPatch.RouteConfigurationMatch()
        result.portNumber = route.int("portNumber", .uint32) ?? 0
        result.portName = route.string("portName") ?? ""
        result.gateway = route.string("gateway") ?? ""
        result.name = route.string("name") ?? ""
        if let vhost = route.mapping("vhost") {
            vhost.warnUnsupported(handled: ["name", "route", "domainName"])
            var host = EnvoyConfigPatch.RouteConfigurationMatch.VirtualHostMatch()
            host.name = vhost.string("name") ?? ""
            host.domainName = vhost.string("domainName") ?? ""
            if let match = vhost.mapping("route") {
                match.warnUnsupported(handled: ["name", "action"])
                var value = EnvoyConfigPatch.RouteConfigurationMatch.RouteMatch()
                value.name = match.string("name") ?? ""
                if let text = match.string("action") {
                    if let action = EnvoyConfigPatch.RouteConfigurationMatch.RouteAction(rawValue: text) {
                        value.action = action
                    } else {
                        match.context.error(
                            match.path.appendingField("action"),
                            "unknown action \"\(text)\"; expected ANY, ROUTE, REDIRECT or DIRECT_RESPONSE")
                    }
                }
                host.route = value
            }
            result.vhost = host
        }
        return result
    }
}
