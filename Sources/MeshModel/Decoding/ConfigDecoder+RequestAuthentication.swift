extension ConfigDecoder {
    /// `spec` of a RequestAuthentication: scope and `jwtRules`. A null rule is refused (the CRD requires objects);
    /// value rules are `ResourceValidator.validateRequestAuthentication`.
    static func decodeRequestAuthentication(meta: ObjectMeta, spec: YAMLMapping?) -> RequestAuthentication {
        var policy = RequestAuthentication(meta: meta)
        guard let spec else { return policy }
        spec.warnUnsupported(handled: ["selector", "targetRef", "targetRefs", "jwtRules"])
        (policy.selector, policy.targetRefs) = decodePolicyScope(spec)
        for item in spec.sequence("jwtRules") {
            if item.isNull {
                item.context.error(
                    item.path, "must be a JWT rule (a mapping with issuer or jwksUri), found null", node: item.node)
                continue
            }
            guard let mapping = item.mapping() else { continue }
            if let rule = decodeJWTRule(mapping) { policy.jwtRules.append(rule) }
        }
        return policy
    }

    static func decodeJWTRule(_ rule: YAMLMapping) -> JWTRule? {
        rule.warnUnsupported(handled: [
            "issuer", "audiences", "jwksUri", "jwks", "fromHeaders", "fromParams", "fromCookies",
            "outputPayloadToHeader", "outputClaimToHeaders", "forwardOriginalToken", "timeout",
            "spaceDelimitedClaims", "presence",
        ])
        var result = JWTRule(issuer: rule.string("issuer") ?? "")
        result.audiences = strictStringList(rule, "audiences")
        result.jwksURI = rule.string("jwksUri")
        result.jwks = rule.string("jwks")
        for item in rule.sequence("fromHeaders") {
            if item.isNull {
                item.context.error(item.path, "location header name must be non-null", node: item.node)
                continue
            }
            guard let header = item.mapping() else { continue }
            header.warnUnsupported(handled: ["name", "prefix"])
            result.fromHeaders.append(
                JWTHeader(name: header.string("name") ?? "", prefix: header.string("prefix") ?? ""))
        }
        result.fromParams = strictStringList(rule, "fromParams")
        result.fromCookies = strictStringList(rule, "fromCookies")
        result.outputPayloadToHeader = rule.string("outputPayloadToHeader")
        for item in rule.sequence("outputClaimToHeaders") {
            if item.isNull {
                item.context.error(item.path, "outputClaimToHeaders must not be null", node: item.node)
                continue
            }
            guard let pair = item.mapping() else { continue }
            pair.warnUnsupported(handled: ["header", "claim"])
            result.outputClaimToHeaders.append(
                JWTClaimToHeader(header: pair.string("header") ?? "", claim: pair.string("claim") ?? ""))
        }
        result.forwardOriginalToken = rule.bool("forwardOriginalToken") ?? false
        if let field = rule["timeout"], let duration = field.goDuration() {
            let milliseconds = duration.milliseconds
            // istiod's ValidateDuration: at least 1ms, and whole milliseconds.
            if milliseconds < 1 {
                field.context.error(
                    field.path, "must be a valid duration greater than 1ms, found \(field.string() ?? "")",
                    node: field.node)
            } else if duration != .milliseconds(milliseconds) {
                field.context.error(field.path, "only durations to ms precision are supported", node: field.node)
            } else {
                result.timeoutSeconds = Double(milliseconds) / 1000
            }
        }
        result.spaceDelimitedClaims = strictStringList(rule, "spaceDelimitedClaims")
        if let field = rule["presence"], let text = field.string() {
            if let presence = JWTPresence(rawValue: text) {
                result.presence = presence
            } else {
                field.context.error(
                    field.path, "Unsupported value: \"\(text)\"; expected OPTIONAL or REQUIRED", node: field.node)
            }
        }
        return result
    }
}
