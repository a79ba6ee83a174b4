import MeshPrimitives

/// A Kubernetes `v1` Secret that holds TLS material for a gateway: `type: kubernetes.io/tls` with `tls.crt`,
/// `tls.key` and optionally `ca.crt`, or an `Opaque` Secret with Istio's generic keys `cert`, `key` and `cacert`.
/// A Secret that only holds a CA (`cacert` or `ca.crt`) is the `<credentialName>-cacert` of a MUTUAL server.
///
/// The private key never leaves this value except into an SDS response: `description` and `customMirror` show a
/// digest instead of the key, so logs, `dump` and debug output cannot leak it. The digest still changes with the
/// key, so the snapshot's content version (computed through `Mirror`) still sees a new key.
public struct TLSSecret: Sendable, Hashable {
    public var meta: ObjectMeta
    /// `type`, such as `kubernetes.io/tls` or `Opaque`.
    public var type: String
    /// PEM certificate chain (`tls.crt` or `cert`); nil in a CA-only Secret.
    public var certificateChain: String?
    /// PEM private key (`tls.key` or `key`); nil in a CA-only Secret.
    public var privateKey: String?
    /// PEM CA bundle (`ca.crt` or `cacert`) that verifies client certificates.
    public var caCertificate: String?

    public init(
        meta: ObjectMeta, type: String = "kubernetes.io/tls", certificateChain: String? = nil,
        privateKey: String? = nil, caCertificate: String? = nil
    ) {
        self.meta = meta
        self.type = type
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.caCertificate = caCertificate
    }

    /// True when the Secret holds a certificate and its key (it can be a server credential).
    public var hasKeyPair: Bool { certificateChain != nil && privateKey != nil }

    /// A stable digest of the private key, for change detection and redacted output.
    public var privateKeyDigest: String? {
        privateKey.map { key in
            var hash = FNV1a64()
            hash.add(key)
            return "redacted(fnv:\(hash.hex))"
        }
    }
}

extension TLSSecret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "Secret \(meta.namespace)/\(meta.name) (\(type), cert: \(certificateChain != nil), key: "
            + "\(privateKey != nil ? "[redacted]" : "none"), ca: \(caCertificate != nil))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "meta": meta, "type": type, "certificateChain": certificateChain as Any,
                "privateKey": privateKeyDigest as Any, "caCertificate": caCertificate as Any,
            ], displayStyle: .struct)
    }
}
