/// HTTP syntax rules of istiod's VirtualService validation: header names, header values, retry conditions.
enum HTTPHeaderSyntax {
    /// RFC 7230 token characters.
    private static let tokenCharacters = Set(
        "!#$%&'*+-.^_`|~ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    private static let pseudoHeaders: Set<String> = [":method", ":scheme", ":authority", ":path", ":status"]

    static func isToken(_ name: String) -> Bool { !name.isEmpty && name.allSatisfy(tokenCharacters.contains) }

    /// `@request.auth.claims.<name>` or `@request.auth.claims[<name>]`: routing on JWT claims.
    static func isJWTClaim(_ name: String) -> Bool {
        name.hasPrefix("@request.auth.claims.") || name.hasPrefix("@request.auth.claims[")
    }

    static func isAuthority(_ name: String) -> Bool {
        name.lowercased() == ":authority" || name.lowercased() == "host"
    }

    /// Pseudo headers and `host` cannot be changed by header operations.
    static func isInternal(_ name: String) -> Bool { name.hasPrefix(":") || name.lowercased() == "host" }

    /// A header name in a match: a token, a pseudo header or a JWT claim.
    static func matchNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "header name cannot be empty" }
        if isJWTClaim(name) || pseudoHeaders.contains(name) || isToken(name) { return nil }
        return "header name \(name) is not a valid header name"
    }

    /// A request header to set or add: not a pseudo header, except the authority (`:authority` or `host`).
    static func requestOperationNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "header name cannot be empty" }
        if isInternal(name) && !isAuthority(name) {
            return "invalid header \"\(name)\": header cannot have \":\" prefix"
        }
        return nil
    }

    /// A request header to remove, or any response header operation.
    static func operationNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "header name cannot be empty" }
        if name.lowercased() == "host" { return "invalid header \"\(name)\": cannot set Host header" }
        if isInternal(name) { return "invalid header \"\(name)\": header cannot have \":\" prefix" }
        return nil
    }

    static func corsNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "header name cannot be empty" }
        if name == "*" || isToken(name) { return nil }
        return "header name \(name) is not a valid header name"
    }

    /// A header value Envoy accepts: no control characters, and every `%` either `%%` or a `%VARIABLE%` /
    /// `%VARIABLE(args)%` command.
    static func valueProblem(_ value: String) -> String? {
        if value.unicodeScalars.contains(where: { ($0.value < 0x20 && $0.value != 0x09) || $0.value == 0x7F }) {
            return "header value configuration \(value) is invalid: control characters are not allowed"
        }
        var rest = Substring(value)
        while let percent = rest.firstIndex(of: "%") {
            let after = rest[rest.index(after: percent)...]
            if after.hasPrefix("%") {
                rest = after.dropFirst()
                continue
            }
            let name = after.prefix { $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }
            var tail = after.dropFirst(name.count)
            if tail.hasPrefix("(") {
                guard let close = tail.firstIndex(of: ")") else {
                    return "header value configuration: unterminated variable in \"\(value)\""
                }
                tail = tail[tail.index(after: close)...]
            }
            if tail.hasPrefix(":") { tail = tail.dropFirst().drop { $0.isNumber } }
            guard !name.isEmpty, tail.hasPrefix("%") else {
                return "header value configuration: invalid use of % in \"\(value)\"; write %% for a literal %"
            }
            rest = tail.dropFirst()
        }
        return nil
    }

    /// Methods allowed in `corsPolicy.allowMethods` (Go's net/http method names).
    static let corsMethods: Set<String> = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE",
    ]

    /// Envoy's `x-envoy-retry-on` and `x-envoy-retry-grpc-on` conditions.
    static let retryOnPolicies: Set<String> = [
        "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream",
        "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    ]

    /// Status codes Go's `http.StatusText` knows: a number in `retryOn` must be one of them.
    static let knownStatusCodes: Set<Int> = Set(
        [100, 101, 102, 103] + Array(200...208) + [226] + Array(300...305) + [307, 308] + Array(400...418)
            + Array(421...426) + [428, 429, 431, 451] + Array(500...508) + [510, 511])

    /// A literal IPv4 or IPv6 address (hosts may be IPs).
    static func isIPAddress(_ text: String) -> Bool { IPAddress.isValid(text) }
}

/// Kubernetes label syntax, as istiod checks `sourceLabels`.
enum LabelSyntax {
    /// Why `key: value` is not a valid label, or nil.
    static func problem(key: String, value: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        let name = String(parts.last ?? "")
        if parts.count > 2 || !isName(name) {
            return "invalid label key \"\(key)\""
        }
        if parts.count == 2 {
            let prefix = String(parts[0])
            let labels = prefix.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if prefix.count > 253 || labels.contains(where: { !HostSyntax.isDNS1123Label($0) }) {
                return "invalid label key \"\(key)\": prefix must be a DNS subdomain"
            }
        }
        if !value.isEmpty && !isName(value) { return "invalid label value \"\(value)\" for key \"\(key)\"" }
        return nil
    }

    /// 1-63 of letters, digits, '-', '_', '.', starting and ending alphanumeric.
    static func isName(_ text: String) -> Bool {
        guard (1...63).contains(text.count), let first = text.first, let last = text.last,
            first.isASCII && (first.isLetter || first.isNumber), last.isASCII && (last.isLetter || last.isNumber)
        else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}

extension HostSyntax {
    /// istiod's `host.Name.Matches`: equal names, or a wildcard (`*.example.com`, `*`) covering the other.
    static func wildcardMatches(_ first: String, _ second: String) -> Bool {
        switch (first.hasPrefix("*"), second.hasPrefix("*")) {
        case (true, true):
            let a = first.dropFirst()
            let b = second.dropFirst()
            return a.count < b.count ? b.hasSuffix(a) : a.hasSuffix(b)
        case (true, false): return second.hasSuffix(first.dropFirst())
        case (false, true): return first.hasSuffix(second.dropFirst())
        case (false, false): return first == second
        }
    }
}

/// gRPC status names Istio accepts in `fault.abort.grpcStatus`, with their codes.
public enum GRPCStatus {
    static let codes: [String: Int] = [
        "OK": 0, "CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4, "NOT_FOUND": 5,
        "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "FAILED_PRECONDITION": 9, "ABORTED": 10,
        "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12, "INTERNAL": 13, "UNAVAILABLE": 14, "DATA_LOSS": 15,
        "UNAUTHENTICATED": 16,
    ]

    /// The numeric code of a status name, or nil when Istio does not know it.
    public static func code(_ name: String) -> Int? { codes[name] }
}
