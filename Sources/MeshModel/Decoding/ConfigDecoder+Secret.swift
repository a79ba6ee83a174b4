import Foundation

extension ConfigDecoder {
    /// The top-level fields of a Secret, which has no `spec`.
    static let secretFields: Set<String> = ["type", "data", "stringData", "immutable"]

    /// The Secret types meshd reads TLS material from; others are skipped with a warning.
    static let tlsSecretTypes: Set<String> = ["kubernetes.io/tls", "Opaque"]

    /// The keys istiod reads TLS material from (generic and kubernetes.io/tls spellings).
    static let tlsKeys: Set<String> = ["cert", "key", "cacert", "tls.crt", "tls.key", "ca.crt"]

    /// Kubernetes `v1` Secret holding gateway TLS material. `data` values are base64 (as the API serves them);
    /// `stringData` values are plain text and win over `data`, as the API server merges them. Returns nil (skipped,
    /// with a warning) for a Secret of another type. Values are never put into diagnostics.
    static func decodeSecret(meta: ObjectMeta, root: YAMLMapping) -> TLSSecret? {
        let type = root.string("type") ?? "Opaque"
        guard tlsSecretTypes.contains(type) else {
            root.context.warning("type", "Secret type \"\(type)\" holds no TLS material meshd uses; skipped")
            return nil
        }
        // Generic shape errors quote scalar values; a Secret's value must never reach a message or a log.
        for key in ["data", "stringData"] {
            if let field = root[key], case .scalar = field.node {
                root.context.error(field.path, "expected a mapping of keys to values, found a value (not shown)")
                return nil
            }
        }
        var values: [String: String] = [:]
        if let data = root.mapping("data") {
            for key in data.keys {
                guard let field = data[key], let text = field.string() else { continue }
                let compact = text.filter { !$0.isWhitespace }
                guard let bytes = Data(base64Encoded: compact) else {
                    field.context.error(field.path, "not valid base64")
                    continue
                }
                // Only the TLS keys must be text; other keys (a password, a binary blob) are none of meshd's business.
                guard tlsKeys.contains(key) else { continue }
                guard let decoded = String(data: bytes, encoding: .utf8) else {
                    field.context.error(field.path, "not UTF-8 PEM text after base64 decoding")
                    continue
                }
                values[key] = decoded
            }
        }
        if let stringData = root.mapping("stringData") {
            for key in stringData.keys {
                if let text = stringData.string(key) { values[key] = text }
            }
        }
        // istiod does not validate Secrets: an Opaque one without TLS keys (bookinfo's database password) is kept,
        // holding no TLS material, rather than refused.
        if type == "Opaque" && !values.keys.contains(where: tlsKeys.contains) {
            return TLSSecret(meta: meta, type: type)
        }
        // Istio reads the generic keys first, then the kubernetes.io/tls ones.
        let certificate = values["cert"] ?? values["tls.crt"]
        let key = values["key"] ?? values["tls.key"]
        let ca = values["cacert"] ?? values["ca.crt"]
        return TLSSecret(meta: meta, type: type, certificateChain: certificate, privateKey: key, caCertificate: ca)
    }
}
