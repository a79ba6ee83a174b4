import Foundation

extension ConfigDecoder {
    /// One `http` entry of a VirtualService, every field Istio defines. Type errors are reported by the accessors;
    /// rules between fields (route versus redirect, ranges) are the validator's.
    static func decodeHTTPRoute(_ route: YAMLMapping) -> HTTPRoute? {
        route.warnUnsupported(handled: [
            "name", "match", "route", "redirect", "directResponse", "delegate", "rewrite", "timeout", "retries",
            "fault", "mirror", "mirrorPercentage", "mirrorPercent", "mirrors", "corsPolicy", "headers",
        ])
        var result = HTTPRoute(name: route.string("name"))
        result.match = route.sequence("match").compactMap { $0.mapping().map(decodeMatch) }
        let items = route.sequence("route")
        result.route = items.compactMap { item -> HTTPRouteDestination? in
            guard let entry = item.mapping() else { return nil }
            entry.warnUnsupported(handled: ["destination", "weight", "headers"])
            let destination = entry.mapping("destination").map(decodeDestination) ?? Destination(host: "")
            // An omitted weight means "all of it" for a lone destination and "none" when traffic is split.
            let weight = entry.int("weight", .int32) ?? (items.count == 1 ? 100 : 0)
            return HTTPRouteDestination(
                destination: destination, weight: weight, headers: entry.mapping("headers").map(decodeHeaders))
        }
        result.redirect = route.mapping("redirect").map(decodeRedirect)
        result.directResponse = route.mapping("directResponse").map(decodeDirectResponse)
        if let delegate = route.mapping("delegate") {
            delegate.warnUnsupported(handled: ["name", "namespace"])
            result.delegate = HTTPDelegate(name: delegate.string("name") ?? "", namespace: delegate.string("namespace"))
        }
        result.rewrite = route.mapping("rewrite").map(decodeRewrite)
        result.timeout = route.goDuration("timeout")
        result.retries = route.mapping("retries").map(decodeRetry)
        result.fault = route.mapping("fault").map(decodeFault)
        result.mirror = route.mapping("mirror").map(decodeDestination)
        result.mirrorPercentage = route.mapping("mirrorPercentage").flatMap(decodePercent)
        if let legacy = route["mirrorPercent"] {
            route.context.warning(legacy.path, "deprecated; use mirrorPercentage")
            if result.mirrorPercentage == nil, let value = legacy.int(.uint32) {
                result.mirrorPercentage = Double(value)
            }
        }
        result.mirrors = route.sequence("mirrors").compactMap { item -> HTTPMirrorPolicy? in
            guard let entry = item.mapping() else { return nil }
            entry.warnUnsupported(handled: ["destination", "percentage"])
            let destination = entry.mapping("destination").map(decodeDestination) ?? Destination(host: "")
            return HTTPMirrorPolicy(
                destination: destination, percentage: entry.mapping("percentage").flatMap(decodePercent))
        }
        result.corsPolicy = route.mapping("corsPolicy").map(decodeCORSPolicy)
        result.headers = route.mapping("headers").map(decodeHeaders)
        return result
    }

    /// One match block. Header names are lower-cased, as HTTP/2 and Envoy see them.
    static func decodeMatch(_ match: YAMLMapping) -> HTTPMatchRequest {
        match.warnUnsupported(handled: [
            "name", "uri", "scheme", "method", "authority", "headers", "withoutHeaders", "queryParams",
            "ignoreUriCase", "port", "sourceLabels", "sourceNamespace", "gateways", "statPrefix",
        ])
        func matches(_ key: String, lowercased: Bool) -> [String: StringMatch] {
            guard let mapping = match.mapping(key) else { return [:] }
            var result: [String: StringMatch] = [:]
            for name in mapping.keys {
                guard let value = mapping.mapping(name).flatMap(decodeStringMatch) else { continue }
                result[lowercased ? name.lowercased() : name] = value
            }
            return result
        }
        return HTTPMatchRequest(
            name: match.string("name"), uri: match.mapping("uri").flatMap(decodeStringMatch),
            scheme: match.mapping("scheme").flatMap(decodeStringMatch),
            method: match.mapping("method").flatMap(decodeStringMatch),
            authority: match.mapping("authority").flatMap(decodeStringMatch),
            headers: matches("headers", lowercased: true), withoutHeaders: matches("withoutHeaders", lowercased: true),
            queryParams: matches("queryParams", lowercased: false), ignoreUriCase: match.bool("ignoreUriCase") ?? false,
            port: match.int("port", .uint32), sourceLabels: match.stringMap("sourceLabels"),
            sourceNamespace: match.string("sourceNamespace"), gateways: match.stringList("gateways"),
            statPrefix: match.string("statPrefix"))
    }

    /// A StringMatch sets at most one of `exact`, `prefix` and `regex`; none (`{}`) matches any value.
    static func decodeStringMatch(_ match: YAMLMapping) -> StringMatch? {
        match.warnUnsupported(handled: ["exact", "prefix", "regex"])
        var found: [StringMatch] = []
        if let value = match.string("exact") { found.append(.exact(value)) }
        if let value = match.string("prefix") { found.append(.prefix(value)) }
        if let value = match.string("regex") { found.append(.regex(value)) }
        guard found.count <= 1 else {
            match.context.error(match.path, "only one of exact, prefix or regex may be set; \(found.count) are set")
            return nil
        }
        return found.first ?? .any
    }

    /// `headers` of a route or destination: `request` and `response`, each with `set`, `add` and `remove`.
    static func decodeHeaders(_ headers: YAMLMapping) -> HeaderOperations {
        headers.warnUnsupported(handled: ["request", "response"])
        func operations(_ key: String) -> HeaderOperations.Operations {
            guard let mapping = headers.mapping(key) else { return HeaderOperations.Operations() }
            mapping.warnUnsupported(handled: ["set", "add", "remove"])
            return HeaderOperations.Operations(
                set: mapping.stringMap("set"), add: mapping.stringMap("add"), remove: mapping.stringList("remove"))
        }
        return HeaderOperations(request: operations("request"), response: operations("response"))
    }

    static func decodeRedirect(_ redirect: YAMLMapping) -> HTTPRedirect {
        redirect.warnUnsupported(handled: ["uri", "authority", "port", "derivePort", "scheme", "redirectCode"])
        var result = HTTPRedirect(
            uri: redirect.string("uri"), authority: redirect.string("authority"), port: redirect.int("port", .uint32),
            scheme: redirect.string("scheme"), redirectCode: redirect.int("redirectCode", .uint32))
        if let code = result.redirectCode, code != 0, (300...399).contains(code),
            ![301, 302, 303, 307, 308].contains(code)
        {
            redirect.context.warning(
                redirect.path.appendingField("redirectCode"),
                "Envoy can only answer 301, 302, 303, 307 or 308; this route is left out")
        }
        if let field = redirect["derivePort"], let text = field.string() {
            result.derivePort = HTTPRedirect.DerivePort(rawValue: text)
            if result.derivePort == nil {
                field.context.error(
                    field.path, "unknown derivePort \"\(text)\"; expected FROM_PROTOCOL_DEFAULT or FROM_REQUEST_PORT")
            }
        }
        return result
    }

    static func decodeDirectResponse(_ response: YAMLMapping) -> HTTPDirectResponse {
        response.warnUnsupported(handled: ["status", "body"])
        var result = HTTPDirectResponse(status: response.int("status", .uint32) ?? 0)
        if let body = response.mapping("body") {
            body.warnUnsupported(handled: ["string", "bytes"])
            if let text = body.string("string") {
                result.body = .string(text)
            } else if let field = body["bytes"], let encoded = field.string() {
                if let data = Data(base64Encoded: encoded) {
                    result.body = .bytes(Array(data))
                } else {
                    field.context.error(field.path, "expected base64-encoded bytes")
                }
            }
        }
        return result
    }

    static func decodeRewrite(_ rewrite: YAMLMapping) -> HTTPRewrite {
        rewrite.warnUnsupported(handled: ["uri", "authority", "uriRegexRewrite"])
        var result = HTTPRewrite(uri: rewrite.string("uri"), authority: rewrite.string("authority"))
        if let regex = rewrite.mapping("uriRegexRewrite") {
            regex.warnUnsupported(handled: ["match", "rewrite"])
            result.uriRegexRewrite = HTTPRewrite.RegexRewrite(
                match: regex.string("match") ?? "", rewrite: regex.string("rewrite") ?? "")
        }
        return result
    }

    static func decodeRetry(_ retry: YAMLMapping) -> HTTPRetry {
        retry.warnUnsupported(handled: [
            "attempts", "perTryTimeout", "retryOn", "retryRemoteLocalities", "retryIgnorePreviousHosts", "backoff",
        ])
        return HTTPRetry(
            attempts: retry.int("attempts", .int32) ?? 0, perTryTimeout: retry.goDuration("perTryTimeout"),
            retryOn: retry.string("retryOn"), retryRemoteLocalities: retry.bool("retryRemoteLocalities"),
            retryIgnorePreviousHosts: retry.bool("retryIgnorePreviousHosts"), backoff: retry.goDuration("backoff"))
    }

    static func decodeFault(_ fault: YAMLMapping) -> HTTPFaultInjection {
        fault.warnUnsupported(handled: ["delay", "abort"])
        var result = HTTPFaultInjection()
        if let delay = fault.mapping("delay") {
            delay.warnUnsupported(handled: ["fixedDelay", "exponentialDelay", "percentage", "percent"])
            var percentage = delay.mapping("percentage").flatMap(decodePercent)
            if let legacy = delay["percent"] {
                delay.context.warning(legacy.path, "deprecated; use percentage")
                if percentage == nil, let value = legacy.int(.int32) { percentage = Double(value) }
            }
            result.delay = HTTPFaultInjection.Delay(
                fixedDelay: delay.goDuration("fixedDelay"), exponentialDelay: delay.goDuration("exponentialDelay"),
                percentage: percentage)
        }
        if let abort = fault.mapping("abort") {
            abort.warnUnsupported(handled: ["httpStatus", "grpcStatus", "http2Error", "percentage"])
            var error: HTTPFaultInjection.Abort.ErrorType?
            if let status = abort.int("httpStatus", .int32) {
                error = .httpStatus(status)
            } else if let status = abort.string("grpcStatus") {
                error = .grpcStatus(status)
            } else if let code = abort.string("http2Error") {
                error = .http2Error(code)
            }
            if error == nil {
                abort.context.warning(abort.path, "abort configured, but error type not set; no request is aborted")
            }
            result.abort = HTTPFaultInjection.Abort(
                error: error, percentage: abort.mapping("percentage").flatMap(decodePercent))
        }
        return result
    }

    static func decodeCORSPolicy(_ policy: YAMLMapping) -> CORSPolicy {
        policy.warnUnsupported(handled: [
            "allowOrigins", "allowOrigin", "allowMethods", "allowHeaders", "exposeHeaders", "maxAge",
            "allowCredentials", "unmatchedPreflights",
        ])
        var result = CORSPolicy(
            allowOrigins: policy.sequence("allowOrigins").compactMap { $0.mapping().flatMap(decodeStringMatch) },
            allowMethods: policy.stringList("allowMethods"), allowHeaders: policy.stringList("allowHeaders"),
            exposeHeaders: policy.stringList("exposeHeaders"), maxAge: policy.goDuration("maxAge"),
            allowCredentials: policy.bool("allowCredentials"))
        if let legacy = policy["allowOrigin"] {
            policy.context.warning(legacy.path, "deprecated; use allowOrigins")
            if !policy.contains("allowOrigins") { result.allowOrigins = legacy.stringList().map { .exact($0) } }
        }
        if let field = policy["unmatchedPreflights"], let text = field.string() {
            if let value = CORSPolicy.UnmatchedPreflights(rawValue: text) {
                result.unmatchedPreflights = value
            } else {
                field.context.error(field.path, "unknown unmatchedPreflights \"\(text)\"; expected FORWARD or IGNORE")
            }
        }
        return result
    }

    /// Istio's `Percent`: `{value: 12.5}`.
    static func decodePercent(_ percent: YAMLMapping) -> Double? {
        percent.warnUnsupported(handled: ["value"])
        return percent.double("value") ?? 0
    }
}

extension YAMLMapping {
    /// A number, written plain or quoted; an error (and nil) otherwise.
    func double(_ key: String) -> Double? {
        guard let field = self[key], let text = field.string() else { return nil }
        guard let value = Double(text.trimmingSpaces()), value.isFinite else {
            context.error(field.path, "expected a number, found \"\(text)\"", node: field.node)
            return nil
        }
        return value
    }
}

extension ConfigDecoder {
    /// istiod's webhook warnings for http rules that can never match (analyzeUnreachableHTTPRules, without the
    /// prefix-overlap analysis): a rule after one without matches, and match blocks identical to an earlier one.
    static func warnUnreachableHTTPRules(_ routes: [HTTPRoute], in spec: YAMLMapping) {
        func name(_ route: HTTPRoute, _ index: Int) -> String { route.name.map { "\"\($0)\"" } ?? "#\(index)" }
        var catchAll: Int?
        var seen: [HTTPMatchRequest: Int] = [:]
        for (index, route) in routes.enumerated() {
            let path = spec.path.appendingField("http").appendingIndex(index)
            if route.match.isEmpty {
                if catchAll != nil {
                    spec.context.warning(
                        path,
                        "virtualService rule \(name(route, index)) not used (only the last rule can have no matches)")
                }
                catchAll = catchAll ?? index
                continue
            }
            if catchAll != nil {
                spec.context.warning(
                    path, "virtualService rule \(name(route, index)) not used (route without matches defined before)")
                continue
            }
            var duplicates = 0
            for (matchIndex, match) in route.match.enumerated() {
                var key = match
                key.name = nil
                if let first = seen[key] {
                    duplicates += 1
                    spec.context.warning(
                        path.appendingField("match").appendingIndex(matchIndex),
                        "virtualService rule \(name(route, index)) match #\(matchIndex) is not used "
                            + "(duplicate/overlapping match in rule \(name(routes[first], first)))")
                } else {
                    seen[key] = index
                }
            }
            if duplicates == route.match.count {
                spec.context.warning(
                    path, "virtualService rule \(name(route, index)) not used (all matches used by prior rules)")
            }
        }
    }
}
