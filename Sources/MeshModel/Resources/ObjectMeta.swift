public import MeshPrimitives

/// Kubernetes-style object metadata shared by every resource kind.
public struct ObjectMeta: Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(
        name: String, namespace: String = "default", labels: [String: String] = [:], annotations: [String: String] = [:]
    ) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }
}

// `ResourceKind` and `ResourceKey` live in MeshPrimitives, so that the xDS server can carry what a resource was
// generated from (`XDSResource.sources`) without reading the mesh model.
public typealias ResourceKind = MeshPrimitives.ResourceKind
public typealias ResourceKey = MeshPrimitives.ResourceKey

/// Where a resource came from: a file, the 1-based document index inside it, and the line where known.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var document: Int
    public var line: Int?

    public init(file: String, document: Int, line: Int? = nil) {
        self.file = file
        self.document = document
        self.line = line
    }

    public var description: String {
        if let line { return "\(file):\(line) (document \(document))" }
        return "\(file) (document \(document))"
    }
}
