/// How much one file may make the decoder do: bounds on input size and on YAML alias expansion, checked before
/// any document is decoded, so that a small hostile file (an alias bomb) or a huge one cannot stall or exhaust a
/// control plane that also serves every other file. Exceeding one refuses the file or document with an error that
/// names it; the last good configuration stays in force.
public struct DecodeLimits: Sendable, Hashable {
    /// Largest file, in bytes (all of its documents together).
    public var maxFileBytes: Int
    /// Largest single YAML document, in bytes. Kubernetes stores objects of at most 1.5 MiB; a `kind: List`
    /// document (a `kubectl get -o yaml` dump) holds many, so the default leaves room for that.
    public var maxDocumentBytes: Int
    /// Most YAML nodes that aliases (`*name`) may add to one document when expanded. An alias repeats the whole
    /// node it names, so a few hundred bytes of nested aliases can stand for billions of nodes.
    public var maxAliasNodes: Int
    /// Most bytes of scalar text that aliases may add to one document (an alias of a long string repeats it).
    public var maxAliasBytes: Int

    public init(maxFileBytes: Int, maxDocumentBytes: Int, maxAliasNodes: Int, maxAliasBytes: Int = 1 << 20) {
        self.maxFileBytes = maxFileBytes
        self.maxDocumentBytes = maxDocumentBytes
        self.maxAliasNodes = maxAliasNodes
        self.maxAliasBytes = maxAliasBytes
    }

    /// 32 MiB per file, 8 MiB per document; aliases may add 10,000 nodes and 1 MiB of text per document.
    public static let `default` = DecodeLimits(
        maxFileBytes: 32 << 20, maxDocumentBytes: 8 << 20, maxAliasNodes: 10_000, maxAliasBytes: 1 << 20)
}
