public import MeshPrimitives

/// A `ConfigObject` with the content hash of its resource, computed once when the object is stored, so that a
/// snapshot's version costs one small hash per object rather than a walk over every field of the whole mesh.
public struct HashedConfigObject: Sendable {
    public let object: ConfigObject
    /// `object.resource.contentHash`.
    public let contentHash: UInt64

    public init(_ object: ConfigObject) {
        self.object = object
        self.contentHash = object.resource.contentHash
    }

    private init(object: ConfigObject, contentHash: UInt64) {
        self.object = object
        self.contentHash = contentHash
    }

    public var key: ResourceKey { object.key }

    /// `next` hashed, reusing this hash when the resource is unchanged (only its source, or nothing, moved):
    /// comparing with `==` is much cheaper than hashing by reflection.
    public func replaced(by next: ConfigObject) -> HashedConfigObject {
        next.resource == object.resource
            ? HashedConfigObject(object: next, contentHash: contentHash) : HashedConfigObject(next)
    }
}

extension MeshResource {
    /// FNV-1a 64 over a canonical text of every field of the resource (its kind, metadata and spec; not where it
    /// was read from). Stable across processes, unlike `hashValue`; covers fields added later without any change
    /// here, since the text is made by reflection. Costs a walk over the object: compute it once per stored object.
    public var contentHash: UInt64 {
        var text = ""
        CanonicalText.write(self, into: &text)
        var hash = FNV1a64()
        hash.add(text)
        return hash.value
    }
}

extension MeshSnapshot {
    /// The snapshot version: FNV-1a 64 over each object's key and content hash, in key order, as 16 hex digits.
    /// Any change to any field of any object changes its content hash, and so the version.
    static func contentVersion(
        of objects: [ResourceKey: HashedConfigObject], meshConfig: MeshConfig = .default
    ) -> String {
        var hash = FNV1a64()
        // istiod's defaults add nothing, so versions of snapshots without a mesh config stay as they were.
        if meshConfig != .default {
            var text = ""
            CanonicalText.write(meshConfig, into: &text)
            hash.add("MeshConfig")
            hash.add(text)
        }
        for key in objects.keys.sorted() {
            guard let object = objects[key] else { continue }
            hash.add(key.description)
            hash.add(object.contentHash)
        }
        return hash.hex
    }
}

/// Writes any value as text whose form does not depend on dictionary order, by walking it with `Mirror` and
/// sorting the entries of dictionaries and sets. New fields of the resource types are covered automatically.
enum CanonicalText {
    static func write(_ value: Any, into text: inout String) {
        if let string = value as? String {
            text += string.debugDescription
            return
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .dictionary, .set:
            let entries = mirror.children.map { child -> String in
                var entry = ""
                write(child.value, into: &entry)
                return entry
            }
            text += "{" + entries.sorted().joined(separator: ",") + "}"
        case .optional:
            if let wrapped = mirror.children.first { write(wrapped.value, into: &text) } else { text += "nil" }
        case .collection:
            text += "["
            for child in mirror.children {
                write(child.value, into: &text)
                text += ","
            }
            text += "]"
        case .enum:
            guard let payload = mirror.children.first else {
                text += String(describing: value)
                return
            }
            text += (payload.label ?? "?") + "("
            write(payload.value, into: &text)
            text += ")"
        case .struct, .class, .tuple:
            text += "("
            for child in mirror.children {
                text += (child.label ?? "_") + ":"
                write(child.value, into: &text)
                text += ";"
            }
            text += ")"
        default:
            text += String(describing: value)
        }
    }
}
