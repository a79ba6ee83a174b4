extension MeshSnapshot {
    /// A content hash of the resources (not where they were read from): FNV-1a 64 over a canonical text of the
    /// objects sorted by key, as 16 hex digits. Stable across processes, unlike `hashValue`.
    static func contentVersion(of resources: [MeshResource]) -> String {
        var hash = FNV1a64()
        for resource in resources.sorted(by: { $0.key < $1.key }) {
            var text = ""
            CanonicalText.write(resource, into: &text)
            hash.add(text)
            hash.add("\n")
        }
        return hash.hex
    }
}

/// The 64-bit FNV-1a hash: tiny, stable and good enough to tell configurations apart.
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ text: String) {
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
    }

    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
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
