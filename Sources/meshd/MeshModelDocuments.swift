import MeshModel
import Registry

/// The documents of a YAML text with what each names, for `meshd delete`.
enum MeshModelDocuments {
    struct Named {
        var firstLine: Int
        var identity: ConfigDecoder.DocumentIdentity?
    }

    static func of(_ text: String) -> [Named] {
        ConfigDecoder.documents(yaml: text).filter { !$0.isEmpty }.map {
            Named(firstLine: $0.firstLine, identity: ConfigDecoder.identity(of: $0.text))
        }
    }

    /// Every key the object may be stored under: one per apiVersion meshd accepts for a kind it knows, else the key
    /// of the apiVersion written.
    static func keys(of identity: ConfigDecoder.DocumentIdentity, layout: EtcdKeyLayout) -> [String] {
        if let kind = ResourceKind(rawValue: identity.kind) {
            let keys = layout.keys(of: ResourceKey(kind: kind, namespace: identity.namespace, name: identity.name))
            let exact = layout.key(
                apiVersion: identity.apiVersion, kind: identity.kind, namespace: identity.namespace,
                name: identity.name)
            return keys.contains(exact) ? keys : keys + [exact]
        }
        return [
            layout.key(
                apiVersion: identity.apiVersion, kind: identity.kind, namespace: identity.namespace,
                name: identity.name)
        ]
    }
}
