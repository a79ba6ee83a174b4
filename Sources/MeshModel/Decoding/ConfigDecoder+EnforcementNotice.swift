extension ConfigDecoder {
    /// Whether the xDS translator of this build enforces AuthorizationPolicy and RequestAuthentication. While it is
    /// false, every accepted policy carries a warning, so that a decoded policy is never silently ignored (fail
    /// closed in what the operator is told). Set it to true, or delete this file and its one call in
    /// `decodeObject`, when the translator's enforcement is merged.
    static let securityPoliciesEnforced = false

    /// The warning of an accepted policy that no proxy enforces yet.
    static func warnIfNotEnforced(_ resource: MeshResource, context: DecodeContext) {
        guard !securityPoliciesEnforced else { return }
        switch resource {
        case .authorizationPolicy, .requestAuthentication:
            context.warning(
                "",
                "\(resource.kind.rawValue) is valid and in the snapshot, but this build of meshd does not enforce it "
                    + "yet: the workloads it selects are NOT protected by it")
        default:
            break
        }
    }
}
