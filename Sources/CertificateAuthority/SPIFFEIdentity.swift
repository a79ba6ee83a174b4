/// A workload identity in SPIFFE form, `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`,
/// as Istio names it. It is what a workload certificate's URI SAN and a bootstrap token assert.
public struct SPIFFEIdentity: Sendable, Hashable, CustomStringConvertible {
    public var trustDomain: String
    public var namespace: String
    public var serviceAccount: String

    public init(trustDomain: String = "cluster.local", namespace: String, serviceAccount: String) {
        self.trustDomain = trustDomain
        self.namespace = namespace
        self.serviceAccount = serviceAccount
    }

    /// Parses `spiffe://<td>/ns/<ns>/sa/<sa>`; anything else (other path shapes, empty or malformed
    /// segments, query or fragment) is refused, because identities are compared as exact strings.
    public init(uri: String) throws {
        let prefix = "spiffe://"
        guard uri.hasPrefix(prefix) else {
            throw CAError(field: "uri", reason: "'\(uri)' is not a spiffe:// URI")
        }
        let parts = uri.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[1] == "ns", parts[3] == "sa" else {
            throw CAError(
                field: "uri",
                reason: "'\(uri)' is not of the form spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>")
        }
        let identity = SPIFFEIdentity(
            trustDomain: String(parts[0]), namespace: String(parts[2]), serviceAccount: String(parts[4]))
        try identity.validate()
        self = identity
    }

    /// `spiffe://cluster.local/ns/default/sa/bookinfo`.
    public var uri: String { "spiffe://\(trustDomain)/ns/\(namespace)/sa/\(serviceAccount)" }

    public var description: String { uri }

    /// Checks that every segment is non-empty and uses only characters that are safe in a URI path and in a
    /// Kubernetes name (letters, digits, `-`, `.`, `_`).
    func validate() throws {
        for (field, value) in [
            ("trustDomain", trustDomain), ("namespace", namespace), ("serviceAccount", serviceAccount),
        ] {
            guard !value.isEmpty else {
                throw CAError(field: field, reason: "is empty")
            }
            guard value.utf8.count <= 253, value.unicodeScalars.allSatisfy(Self.isAllowed) else {
                throw CAError(field: field, reason: "'\(value)' contains characters not allowed in a SPIFFE identity")
            }
        }
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", ".", "_": true
        default: false
        }
    }
}
