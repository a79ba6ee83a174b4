/// istiod's webhook rules for one `http` route of a VirtualService (validateHTTPRoute and what it calls).
extension ResourceValidator {
    static func validateHTTPRoute(_ route: HTTPRoute, at path: String, inDelegate: Bool, into issues: inout IssueList) {
        validateHTTPRouteConflicts(route, at: path, inDelegate: inDelegate, into: &issues)
        for (index, match) in route.match.enumerated() {
            validateMatch(match, at: "\(path).match[\(index)]", into: &issues)
        }
        if let headers = route.headers { validateHeaderOperations(headers, at: "\(path).headers", into: &issues) }
        if let cors = route.corsPolicy { validateCORSPolicy(cors, at: "\(path).corsPolicy", into: &issues) }
        if let fault = route.fault { validateFault(fault, at: "\(path).fault", into: &issues) }
        if let percentage = route.mirrorPercentage, !(0...100).contains(percentage) {
            issues.add("\(path).mirrorPercentage", "mirror percentage must be in range 0-100, found \(percentage)")
        }
        if let mirror = route.mirror { validateDestination(mirror, at: "\(path).mirror", into: &issues) }
        for (index, mirror) in route.mirrors.enumerated() {
            let mirrorPath = "\(path).mirrors[\(index)]"
            validateDestination(mirror.destination, at: "\(mirrorPath).destination", into: &issues)
            if let percentage = mirror.percentage, !(0...100).contains(percentage) {
                issues.add("\(mirrorPath).percentage", "mirror percentage must be in range 0-100, found \(percentage)")
            }
        }
        if let redirect = route.redirect { validateRedirect(redirect, at: "\(path).redirect", into: &issues) }
        if let response = route.directResponse {
            validateDirectResponse(response, at: "\(path).directResponse", into: &issues)
        }
        if let retries = route.retries { validateRetry(retries, at: "\(path).retries", into: &issues) }
        if let rewrite = route.rewrite { validateRewrite(rewrite, at: "\(path).rewrite", into: &issues) }
        validateAuthorityRewrite(route, at: path, into: &issues)
        validateRouteDestinations(route.route, at: "\(path).route", into: &issues)
        if let timeout = route.timeout { issues.checkDuration(timeout, at: "\(path).timeout") }
        if let delegate = route.delegate, delegate.name.isEmpty { issues.add("\(path).delegate.name", "required") }
    }

    /// Exactly one of route, redirect, directResponse (or delegate, only in a root VirtualService).
    static func validateHTTPRouteConflicts(
        _ route: HTTPRoute, at path: String, inDelegate: Bool, into issues: inout IssueList
    ) {
        if route.delegate != nil && !inDelegate {
            if route.redirect != nil { issues.add("\(path).redirect", "root HTTP route must not specify redirect") }
            if !route.route.isEmpty { issues.add("\(path).route", "root HTTP route must not specify route") }
            return
        }
        if inDelegate && route.delegate != nil {
            issues.add("\(path).delegate", "delegate HTTP route cannot contain delegate")
        }
        if route.redirect != nil {
            if !route.route.isEmpty { issues.add(path, "HTTP route cannot contain both route and redirect") }
            if route.fault != nil { issues.add(path, "HTTP route cannot contain both fault and redirect") }
            if route.rewrite != nil { issues.add(path, "HTTP route rule cannot contain both rewrite and redirect") }
            if route.directResponse != nil {
                issues.add(path, "HTTP route rule cannot contain both direct_response and redirect")
            }
        } else if route.directResponse != nil {
            if !route.route.isEmpty { issues.add(path, "HTTP route cannot contain both route and direct_response") }
            if route.fault != nil { issues.add(path, "HTTP route cannot contain both fault and direct_response") }
            if route.rewrite != nil {
                issues.add(path, "HTTP route rule cannot contain both rewrite and direct_response")
            }
        } else if route.route.isEmpty {
            issues.add("\(path).route", "HTTP route, redirect or direct_response is required")
        }
        if route.mirror != nil && !route.mirrors.isEmpty {
            issues.add(path, "HTTP route cannot contain both mirror and mirrors")
        }
    }

    static func validateMatch(_ match: HTTPMatchRequest, at path: String, into issues: inout IssueList) {
        for (name, value) in match.headers.sorted(by: { $0.key < $1.key }) {
            if let reason = HTTPHeaderSyntax.matchNameProblem(name) { issues.add("\(path).headers", reason) }
            validateStringMatch(value, at: "\(path).headers.\(name)", into: &issues)
        }
        for (name, value) in match.withoutHeaders.sorted(by: { $0.key < $1.key }) {
            if let reason = HTTPHeaderSyntax.matchNameProblem(name) { issues.add("\(path).withoutHeaders", reason) }
            // `regex: "*"` is not RE2; Istio turns it into a presence match.
            if value != .regex("*") { validateStringMatch(value, at: "\(path).withoutHeaders.\(name)", into: &issues) }
        }
        if let uri = match.uri { validateStringMatchRegex(uri, at: "\(path).uri", into: &issues) }
        if let scheme = match.scheme { validateStringMatch(scheme, at: "\(path).scheme", into: &issues) }
        if let method = match.method { validateStringMatch(method, at: "\(path).method", into: &issues) }
        if let authority = match.authority { validateStringMatch(authority, at: "\(path).authority", into: &issues) }
        for (name, value) in match.queryParams.sorted(by: { $0.key < $1.key }) {
            validateStringMatch(value, at: "\(path).queryParams.\(name)", into: &issues)
        }
        if let port = match.port { issues.checkPort(port, at: "\(path).port") }
        for (key, value) in match.sourceLabels.sorted(by: { $0.key < $1.key }) {
            if let reason = LabelSyntax.problem(key: key, value: value) { issues.add("\(path).sourceLabels", reason) }
        }
        if let namespace = match.sourceNamespace, !namespace.isEmpty, !HostSyntax.isDNS1123Label(namespace) {
            issues.add("\(path).sourceNamespace", "sourceNamespace match \(namespace) is invalid")
        }
        validateGatewayNames(match.gateways, at: "\(path).gateways", into: &issues)
    }

    static func validateHeaderOperations(_ headers: HeaderOperations, at path: String, into issues: inout IssueList) {
        let request = headers.request
        for (kind, values) in [("set", request.set), ("add", request.add)] {
            for (name, value) in values.sorted(by: { $0.key < $1.key }) {
                let fieldPath = "\(path).request.\(kind)"
                if let reason = HTTPHeaderSyntax.requestOperationNameProblem(name) { issues.add(fieldPath, reason) }
                if let reason = HTTPHeaderSyntax.valueProblem(value) { issues.add("\(fieldPath).\(name)", reason) }
            }
        }
        for name in request.remove {
            if let reason = HTTPHeaderSyntax.operationNameProblem(name) { issues.add("\(path).request.remove", reason) }
        }
        let response = headers.response
        for (kind, values) in [("set", response.set), ("add", response.add)] {
            for (name, value) in values.sorted(by: { $0.key < $1.key }) {
                let fieldPath = "\(path).response.\(kind)"
                if let reason = HTTPHeaderSyntax.operationNameProblem(name) { issues.add(fieldPath, reason) }
                if let reason = HTTPHeaderSyntax.valueProblem(value) { issues.add("\(fieldPath).\(name)", reason) }
            }
        }
        for name in response.remove {
            if let reason = HTTPHeaderSyntax.operationNameProblem(name) {
                issues.add("\(path).response.remove", reason)
            }
        }
    }

    static func validateCORSPolicy(_ policy: CORSPolicy, at path: String, into issues: inout IssueList) {
        for (index, origin) in policy.allowOrigins.enumerated() {
            let originPath = "\(path).allowOrigins[\(index)]"
            switch origin {
            case .exact(let text), .prefix(let text), .regex(let text):
                if text.isEmpty { issues.add(originPath, "'' is not a valid match type for CORS allow origins") }
            case .any: issues.add(originPath, "'' is not a valid match type for CORS allow origins")
            }
            validateStringMatchRegex(origin, at: originPath, into: &issues)
        }
        for (index, method) in policy.allowMethods.enumerated() where !HTTPHeaderSyntax.corsMethods.contains(method) {
            issues.add("\(path).allowMethods[\(index)]", "\"\(method)\" is not a supported HTTP method")
        }
        for (field, names) in [("allowHeaders", policy.allowHeaders), ("exposeHeaders", policy.exposeHeaders)] {
            for (index, name) in names.enumerated() {
                if let reason = HTTPHeaderSyntax.corsNameProblem(name) {
                    issues.add("\(path).\(field)[\(index)]", reason)
                }
            }
        }
        if let maxAge = policy.maxAge {
            issues.checkDuration(maxAge, at: "\(path).maxAge")
            if maxAge.components.attoseconds != 0 {
                issues.add("\(path).maxAge", "max_age duration is accurate only to seconds precision")
            }
        }
    }

    static func validateFault(_ fault: HTTPFaultInjection, at path: String, into issues: inout IssueList) {
        if fault.abort == nil && fault.delay == nil {
            issues.add(path, "HTTP fault injection must have an abort and/or a delay")
        }
        if let abort = fault.abort {
            checkPercentage(abort.percentage, at: "\(path).abort.percentage", into: &issues)
            switch abort.error {
            case .httpStatus(let status): checkHTTPStatus(status, at: "\(path).abort.httpStatus", into: &issues)
            case .grpcStatus(let status) where GRPCStatus.code(status) == nil:
                issues.add(
                    "\(path).abort.grpcStatus",
                    "gRPC status \"\(status)\" is not supported; use a name such as UNAVAILABLE or NOT_FOUND")
            case .http2Error: issues.add("\(path).abort.http2Error", "HTTP/2 abort fault injection not supported yet")
            case .grpcStatus, nil: break
            }
        }
        if let delay = fault.delay {
            checkPercentage(delay.percentage, at: "\(path).delay.percentage", into: &issues)
            if let fixed = delay.fixedDelay { issues.checkDuration(fixed, at: "\(path).delay.fixedDelay") }
            if let exponential = delay.exponentialDelay {
                issues.checkDuration(exponential, at: "\(path).delay.exponentialDelay")
                issues.add("\(path).delay.exponentialDelay", "exponentialDelay not supported yet")
            }
        }
    }

    static func validateRedirect(_ redirect: HTTPRedirect, at path: String, into issues: inout IssueList) {
        if redirect.uri == nil && redirect.authority == nil && redirect.port == nil && redirect.derivePort == nil
            && redirect.scheme == nil
        {
            issues.add(path, "redirect must specify URI, authority, scheme, or port")
            return
        }
        if let code = redirect.redirectCode, code != 0, !(300...399).contains(code) {
            issues.add("\(path).redirectCode", "\(code) is not a valid redirect code, must be 3xx")
        } else if let scheme = redirect.scheme, !scheme.isEmpty, scheme != "http" && scheme != "https" {
            issues.add("\(path).scheme", "invalid redirect scheme, must be \"http\" or \"https\"")
        } else if let port = redirect.port, port > 0 {
            issues.checkPort(port, at: "\(path).port")
        }
    }

    static func validateDirectResponse(_ response: HTTPDirectResponse, at path: String, into issues: inout IssueList) {
        let size: Int
        switch response.body {
        case .string(let text): size = text.utf8.count
        case .bytes(let data): size = data.count
        case nil: size = 0
        }
        if size > 1024 * 1024 {
            issues.add(
                "\(path).body", "large direct_responses may impact control plane performance, must be less than 1MB")
        }
        checkHTTPStatus(response.status, at: "\(path).status", into: &issues)
    }

    static func validateRetry(_ retry: HTTPRetry, at path: String, into issues: inout IssueList) {
        if retry.attempts < 0 { issues.add("\(path).attempts", "attempts cannot be negative") }
        if retry.attempts == 0
            && (retry.perTryTimeout != nil || !(retry.retryOn ?? "").isEmpty || retry.retryRemoteLocalities != nil)
        {
            issues.add(path, "http retry policy configured when attempts are set to 0 (disabled)")
        }
        if let timeout = retry.perTryTimeout { issues.checkDuration(timeout, at: "\(path).perTryTimeout") }
        if let retryOn = retry.retryOn, !retryOn.isEmpty {
            // Like istiod: split on commas without trimming; numbers must be known HTTP status codes.
            for policy in retryOn.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                if let code = Int(policy), HTTPHeaderSyntax.knownStatusCodes.contains(code) { continue }
                if !HTTPHeaderSyntax.retryOnPolicies.contains(policy) {
                    issues.add("\(path).retryOn", "\"\(policy)\" is not a valid retryOn policy")
                }
            }
        }
        if let backoff = retry.backoff { issues.checkDuration(backoff, at: "\(path).backoff") }
    }

    static func validateRewrite(_ rewrite: HTTPRewrite, at path: String, into issues: inout IssueList) {
        let uri = rewrite.uri ?? ""
        if !uri.isEmpty && rewrite.uriRegexRewrite != nil {
            issues.add(path, "rewrite may only contain one of URI or UriRegexRewrite")
        } else if uri.isEmpty && rewrite.uriRegexRewrite == nil && (rewrite.authority ?? "").isEmpty {
            issues.add(path, "rewrite must specify at least one of URI, UriRegexRewrite, or authority")
        } else if let regex = rewrite.uriRegexRewrite {
            let regexPath = "\(path).uriRegexRewrite"
            if regex.match.isEmpty || regex.rewrite.isEmpty {
                issues.add(regexPath, "UriRegexRewrite requires both Rewrite and Match fields to be specified")
            } else {
                validateStringMatchRegex(.regex(regex.match), at: regexPath, into: &issues)
            }
        }
    }

    /// The Host may be rewritten in one place only: `rewrite.authority` or one request header operation on it.
    static func validateAuthorityRewrite(_ route: HTTPRoute, at path: String, into issues: inout IssueList) {
        var current = route.rewrite?.authority ?? ""
        let request = route.headers?.request ?? HeaderOperations.Operations()
        let candidates = request.set.sorted { $0.key < $1.key } + request.add.sorted { $0.key < $1.key }
        for (name, value) in candidates where HTTPHeaderSyntax.isAuthority(name) {
            if !current.isEmpty {
                issues.add(
                    "\(path).headers.request",
                    "authority header cannot be set multiple times: have \"\(current)\", attempting to set \"\(value)\""
                )
                return
            }
            current = value
        }
    }

    static func validateRouteDestinations(
        _ destinations: [HTTPRouteDestination], at path: String, into issues: inout IssueList
    ) {
        for (index, destination) in destinations.enumerated() {
            let destinationPath = "\(path)[\(index)]"
            if let headers = destination.headers {
                validateHeaderOperations(headers, at: "\(destinationPath).headers", into: &issues)
            }
            validateDestination(destination.destination, at: "\(destinationPath).destination", into: &issues)
        }
        // Weights are relative (Envoy sums them): no need to add up to 100.
        issues.checkWeights(destinations.map(\.weight), at: path)
    }

    static func validateDestination(_ destination: Destination, at path: String, into issues: inout IssueList) {
        if destination.host.isEmpty {
            issues.add("\(path).host", "required")
        } else if destination.host == "*" {
            issues.add("\(path).host", "invalid destination host *")
        } else if let reason = HostSyntax.wildcardDomainProblem(destination.host) {
            issues.add("\(path).host", reason)
        }
        if let subset = destination.subset {
            if subset.isEmpty {
                issues.add("\(path).subset", "subset name cannot be empty")
            } else if !HostSyntax.isDNS1123Label(subset) {
                issues.add("\(path).subset", "subset name is invalid: \(subset)")
            }
        }
        if let port = destination.port { issues.checkPort(port, at: "\(path).port.number") }
    }

    /// Istio's `Percent`: 0, or 0.0001 to 100.
    static func checkPercentage(_ value: Double?, at path: String, into issues: inout IssueList) {
        guard let value else { return }
        if value < 0 || value > 100 || (value > 0 && value < 0.0001) {
            issues.add(path, "percentage \(value) is neither 0.0, nor in range [0.0001, 100.0]")
        }
    }

    /// 200-599. istiod's own check lets 600 through, which Envoy's direct response and fault abort then refuse.
    static func checkHTTPStatus(_ status: Int, at path: String, into issues: inout IssueList) {
        if status < 200 || status > 599 { issues.add(path, "HTTP status \(status) is not in range 200-599") }
    }
}
