import Yams

extension ConfigDecoder {
    /// One document of a YAML stream, cut out exactly as `decode(yaml:file:)` cuts it, for writers that store one
    /// object per key (`meshd apply` to etcd).
    public struct Document: Sendable, Hashable {
        /// 1-based index of the document in the stream.
        public var index: Int
        /// 1-based line of the stream where the document's text starts.
        public var firstLine: Int
        public var text: String
        /// True when the document holds nothing but blank lines and comments.
        public var isEmpty: Bool
    }

    /// What a document says it is, read without decoding it: enough to name the key it is stored under.
    public struct DocumentIdentity: Sendable, Hashable {
        public var apiVersion: String
        public var kind: String
        public var name: String
        /// `metadata.namespace`, or `default` when absent or empty (as the decoder reads it).
        public var namespace: String
    }

    /// The documents of a YAML stream, in order.
    public static func documents(yaml: String) -> [Document] {
        YAMLDocumentSplitter.split(yaml).map { document in
            let blank = document.text.split(separator: "\n", omittingEmptySubsequences: false)
                .allSatisfy(YAMLDocumentSplitter.isBlankOrComment)
            return Document(
                index: document.index, firstLine: document.lineOffset + 1, text: document.text, isEmpty: blank)
        }
    }

    /// The apiVersion, kind, name and namespace a document declares; nil when it does not parse, is not a mapping,
    /// or lacks one of apiVersion, kind and metadata.name as a string.
    public static func identity(of text: String) -> DocumentIdentity? {
        guard let root = try? compose(text), case .mapping(let mapping) = root else { return nil }
        func string(_ node: Node?) -> String? {
            guard case .scalar(let scalar)? = node else { return nil }
            return scalar.string
        }
        guard let apiVersion = string(mapping["apiVersion"]), let kind = string(mapping["kind"]),
            case .mapping(let metadata)? = mapping["metadata"], let name = string(metadata["name"]), !name.isEmpty
        else { return nil }
        let namespace = string(metadata["namespace"]).flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        return DocumentIdentity(apiVersion: apiVersion, kind: kind, name: name, namespace: namespace)
    }

    /// The apiVersions meshd accepts for a kind (the first is the preferred one).
    public static func apiVersions(of kind: ResourceKind) -> [String] {
        supportedAPIVersions(kind)
    }
}
