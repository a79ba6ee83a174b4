/// One configuration object a resource was generated from, where the operator wrote it: `VirtualService/default/
/// reviews` in `reviews.yaml:3`. The server only carries it; it never reads the mesh model.
public struct ResourceSource: Sendable, Hashable, CustomStringConvertible {
    /// The object's kind (`VirtualService`), namespace and name.
    public var kind: String
    public var namespace: String
    public var name: String
    /// The file the object was read from, its 1-based document index there, and its line when known.
    public var file: String
    public var document: Int
    public var line: Int?

    public init(kind: String, namespace: String, name: String, file: String, document: Int, line: Int? = nil) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.file = file
        self.document = document
        self.line = line
    }

    /// `Kind/namespace/name`, as config keys are written everywhere else.
    public var object: String { "\(kind)/\(namespace)/\(name)" }

    /// `file:line (document n)`, or `file (document n)` when the line is not known: as the config store writes
    /// locations.
    public var location: String {
        if let line { return "\(file):\(line) (document \(document))" }
        return "\(file) (document \(document))"
    }

    /// `Kind/namespace/name (file:line)`.
    public var description: String { "\(object) (\(location))" }
}

extension XDSResource {
    /// The same resource, naming `sources` as what it was generated from. Bytes and version are unchanged.
    public func withSources(_ sources: [ResourceSource]) -> XDSResource {
        var resource = self
        resource.sources = sources
        return resource
    }
}
