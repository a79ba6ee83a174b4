import EnvoyAPI

/// Small constructors for RBAC permissions and principals (and, or, not, any), as the rule translation uses them.
extension RBACPermission {
    static var anything: Self {
        var permission = Self()
        permission.any = true
        return permission
    }

    static func and(_ rules: [Self]) -> Self {
        var set = Set()
        set.rules = rules
        var permission = Self()
        permission.andRules = set
        return permission
    }

    static func or(_ rules: [Self]) -> Self {
        var set = Set()
        set.rules = rules
        var permission = Self()
        permission.orRules = set
        return permission
    }

    static func not(_ rule: Self) -> Self {
        var permission = Self()
        permission.notRule = rule
        return permission
    }
}

extension RBACPrincipal {
    static var anything: Self {
        var principal = Self()
        principal.any = true
        return principal
    }

    static func and(_ ids: [Self]) -> Self {
        var set = Set()
        set.ids = ids
        var principal = Self()
        principal.andIds = set
        return principal
    }

    static func or(_ ids: [Self]) -> Self {
        var set = Set()
        set.ids = ids
        var principal = Self()
        principal.orIds = set
        return principal
    }

    static func not(_ id: Self) -> Self {
        var principal = Self()
        principal.notID = id
        return principal
    }

    /// The peer's verified certificate identity (URI SAN) matched by `name`.
    static func authenticated(_ name: EnvoyStringMatcher) -> Self {
        var authenticated = Authenticated()
        authenticated.principalName = name
        var principal = Self()
        principal.authenticated = authenticated
        return principal
    }
}

extension RBACPolicy {
    /// istiod's `rbacPolicyMatchNever`: what an ALLOW policy without rules becomes (it allows nothing).
    static var matchNever: Self {
        var policy = Self()
        policy.permissions = [.not(.anything)]
        policy.principals = [.not(.anything)]
        return policy
    }

    /// Matches every request (used when a CUSTOM provider cannot be used: deny all).
    static var matchAll: Self {
        var policy = Self()
        policy.permissions = [.anything]
        policy.principals = [.anything]
        return policy
    }
}
