public import EtcdClient
public import MeshModel

/// Decodes one etcd key's value into a `DecodeResult`, through the same decoder and validator as files.
///
/// On top of the file rules, a key holds exactly one object, and that object must be the one its key names
/// (apiVersion, kind, namespace and name). A value that breaks either rule is refused with an error naming the key
/// and, for a mismatch, the field; the error names no object, so the store keeps the key's last good version.
public enum EtcdObjectDecoder {
    /// The name under which a key's objects are kept in the `ConfigStore` and named in diagnostics: `etcd:<key>`.
    public static func fileName(forKey key: String) -> String {
        "etcd:\(key)"
    }

    /// The decode result of one key, or nil for meshd's own keys (`<prefix>/_…`), which are not config.
    public static func decode(_ keyValue: EtcdKeyValue, layout: EtcdKeyLayout) -> DecodeResult? {
        let file = fileName(forKey: keyValue.key)
        let expected: (apiVersion: String, kind: String, namespace: String, name: String)
        switch layout.entry(forKey: keyValue.key) {
        case .reserved:
            return nil
        case .malformed(let reason):
            return refusal(file, "", "key \(keyValue.key) \(reason); the key is ignored")
        case .object(let apiVersion, let kind, let namespace, let name):
            expected = (apiVersion, kind, namespace, name)
        }
        var result = ConfigDecoder.decode(bytes: keyValue.value, file: file)
        guard result.errors.isEmpty else { return result }
        if result.objects.count > 1 {
            return refusal(
                file, "",
                "holds \(result.objects.count) objects; etcd holds one object per key (\(layout.layoutDescription))",
                warnings: result.warnings)
        }
        guard let object = result.objects.first else { return result }
        let text = String(decoding: keyValue.value, as: UTF8.self)
        let apiVersion = ConfigDecoder.identity(of: text)?.apiVersion ?? ""
        let actual = (apiVersion, object.key.kind.rawValue, object.key.namespace, object.key.name)
        let mismatches: [(field: String, key: String, object: String)] = [
            ("apiVersion", expected.apiVersion, actual.0), ("kind", expected.kind, actual.1),
            ("metadata.namespace", expected.namespace, actual.2), ("metadata.name", expected.name, actual.3),
        ].filter { $0.1 != $0.2 }
        if let mismatch = mismatches.first {
            let right = layout.key(apiVersion: actual.0, kind: actual.1, namespace: actual.2, name: actual.3)
            result = refusal(
                file, mismatch.field,
                "the key says \(mismatch.field) \"\(mismatch.key)\" but the object says \"\(mismatch.object)\"; "
                    + "\(object.key) belongs under \(right)",
                warnings: result.warnings)
        }
        return result
    }

    static func refusal(
        _ file: String, _ fieldPath: String, _ reason: String, warnings: [ConfigDiagnostic] = []
    ) -> DecodeResult {
        DecodeResult(
            errors: [
                ConfigDiagnostic(file: file, document: 1, fieldPath: fieldPath, reason: reason, severity: .error)
            ],
            warnings: warnings)
    }
}
