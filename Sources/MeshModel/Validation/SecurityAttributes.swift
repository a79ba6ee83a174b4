/// The value rules istiod's security validation applies to AuthorizationPolicy fields and `when` conditions
/// (istio/istio `pkg/config/security`): IPs and CIDRs, ports, service accounts, path templates, condition keys.
/// Each function returns the reason a value is refused, or nil. Pure.
enum SecurityAttributes {
    /// The `when` keys istiod accepts, with whether the key takes a `[name]` suffix.
    enum Key {
        case requestHeader, sourceIP, remoteIP, sourceNamespace, sourceServiceAccount, sourcePrincipal
        case sourceTrustDomain, requestPrincipal, requestAudiences, requestPresenter, requestClaim
        case destinationIP, destinationPort, connectionSNI, experimental
    }

    /// The kind of a `when` key, or the reason it is refused.
    static func key(_ key: String) -> Result<Key, KeyProblem> {
        func mapKey(_ kind: Key) -> Result<Key, KeyProblem> {
            isMapKey(key) ? .success(kind) : .failure(KeyProblem("bad key (\(key)): should have format a[b]"))
        }
        if key.hasPrefix("request.headers") { return mapKey(.requestHeader) }
        if key.hasPrefix("request.experimental.inline.headers") { return mapKey(.requestHeader) }
        if key.hasPrefix("request.auth.claims") { return mapKey(.requestClaim) }
        if key.hasPrefix("experimental.envoy.filters.") { return mapKey(.experimental) }
        if key.hasPrefix("destination.labels") {
            return .failure(KeyProblem("attribute \(key) is replaced by the workload selector"))
        }
        switch key {
        case "source.ip": return .success(.sourceIP)
        case "remote.ip": return .success(.remoteIP)
        case "source.namespace": return .success(.sourceNamespace)
        case "source.serviceAccount": return .success(.sourceServiceAccount)
        case "source.principal": return .success(.sourcePrincipal)
        case "source.trustDomain": return .success(.sourceTrustDomain)
        case "request.auth.principal": return .success(.requestPrincipal)
        case "request.auth.audiences": return .success(.requestAudiences)
        case "request.auth.presenter": return .success(.requestPresenter)
        case "destination.ip": return .success(.destinationIP)
        case "destination.port": return .success(.destinationPort)
        case "connection.sni": return .success(.connectionSNI)
        case "destination.namespace":
            return .failure(KeyProblem("attribute \(key) is replaced by the metadata.namespace"))
        case "destination.name", "destination.user":
            return .failure(KeyProblem("deprecated attribute \(key): only supported in v1alpha1"))
        default: return .failure(KeyProblem("unknown attribute: \(key)"))
        }
    }

    struct KeyProblem: Error, Hashable {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// `a[b]` with a non-empty `a` and `b` (istiod's validateMapKey).
    static func isMapKey(_ key: String) -> Bool {
        guard key.hasSuffix("]"), let open = key.firstIndex(of: "[") else { return false }
        let offset = key.distance(from: key.startIndex, to: open)
        return offset > 0 && offset < key.count - 2
    }

    /// The reason the values of a condition with this key are refused, or nil.
    static func valueProblem(_ key: Key, keyName: String, values: [String]) -> String? {
        if values.contains("") { return "empty value not allowed, found in \(keyName)" }
        switch key {
        case .sourceIP, .remoteIP, .destinationIP: return ipProblem(values)
        case .destinationPort: return portProblem(values)
        case .sourceServiceAccount: return serviceAccountProblem(values, field: keyName)
        default: return nil
        }
    }

    /// istiod's ValidateIPs: an address, or a CIDR range when the value has a `/`.
    static func ipProblem(_ values: [String]) -> String? {
        for value in values {
            if value.contains("/") {
                if !IPAddress.isValidSubnet(value) { return "bad CIDR range (\(value))" }
            } else if !IPAddress.isValid(value) {
                return "bad IP address (\(value))"
            }
        }
        return nil
    }

    /// istiod's ValidatePorts: a decimal number 0-65535.
    static func portProblem(_ values: [String]) -> String? {
        for value in values {
            guard !value.isEmpty, value.allSatisfy(\.isASCIIDigit), value.count <= 10, let port = Int(value),
                port <= 65535
            else { return "bad port (\(value)): expected a number 0-65535" }
        }
        return nil
    }

    /// istiod's CheckServiceAccount: at most 16, no wildcard, `sa` or `namespace/sa`, at most 320 characters.
    static func serviceAccountProblem(_ values: [String], field: String) -> String? {
        if values.count > 16 { return "may not have more than 16 values" }
        for value in values {
            if value.isEmpty { return "empty value not allowed, found in \(field)" }
            if value.contains("*") { return "wildcard not allowed, found in \(field)" }
            let slashes = value.filter { $0 == "/" }.count
            let format = "expected format 'serviceAccount' or 'namespace/serviceAccount'"
            if slashes > 1 { return "\(format), found \"\(value)\" in \(field)" }
            if value.count > 320 { return "value cannot exceed 320 characters, found \"\(value)\" in \(field)" }
            if slashes == 1 {
                let parts = value.split(separator: "/", omittingEmptySubsequences: false)
                if parts[0].isEmpty { return "\(format), found empty namespace \"\(value)\" in \(field)" }
                if parts[1].isEmpty { return "\(format), found empty serviceAccount \"\(value)\" in \(field)" }
            }
        }
        return nil
    }

    /// RFC 3986 pchar, the characters a literal path segment of a template may hold.
    private static let pathLiteralCharacters = Set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()+,;:@=")

    /// istiod's CheckValidPathTemplate: `{*}` is one segment, `{**}` any number and must be the last operator, no
    /// other `{` or `}`, and in a template every literal segment is made of pchar characters.
    static func pathTemplateProblem(_ path: String, field: String) -> String? {
        let isTemplate = path.contains("{*}") || path.contains("{**}")
        var trimmed = Substring(path)
        while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        var sawMatchAny = false
        for segment in trimmed.split(separator: "/", omittingEmptySubsequences: false) {
            if segment == "{*}" || segment == "{**}" {
                if sawMatchAny {
                    return "invalid or unsupported path \(trimmed), found in \(field). {**} is not the last operator"
                }
                if segment == "{**}" { sawMatchAny = true }
                continue
            }
            if segment.contains("{") || segment.contains("}") {
                return "invalid or unsupported path \(trimmed), found in \(field). "
                    + "Contains '{' or '}' beyond a supported path template"
            }
            if isTemplate && (segment.isEmpty || !segment.allSatisfy(pathLiteralCharacters.contains)) {
                return "invalid or unsupported path \(trimmed), found in \(field). "
                    + "Contains segment \(segment) with invalid string literal"
            }
        }
        return nil
    }
}
