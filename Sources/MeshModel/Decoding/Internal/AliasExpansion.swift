import CYaml

/// Measures, before a document is composed, how many nodes (and bytes of text) its aliases stand for.
///
/// An alias (`*name`) repeats the whole node its anchor (`&name`) marks. Composing shares that node, but everything
/// that walks the tree afterwards (decoding, validation, hashing of mapping keys inside Yams itself) visits every
/// repetition, so nested aliases make a small file cost exponential time and memory. One pass over libyaml's
/// events computes the size of each anchored node (aliases inside it counted at their expanded size) and adds it
/// up at every alias, stopping as soon as the budget is spent: linear in the text, whatever the aliases say.
enum AliasExpansion {
    /// Where the budget ran out: the alias, and what aliases had produced by then.
    struct Exceeded: Hashable {
        var anchor: String
        /// 0-based line of the alias within the document text.
        var line: Int
        var nodes: Int
        /// Bytes of scalar text.
        var bytes: Int
    }

    /// What an anchored node (or all aliases so far) stands for.
    struct Size: Hashable {
        var nodes: Int
        var bytes: Int

        static func + (lhs: Size, rhs: Size) -> Size {
            Size(nodes: lhs.nodes + rhs.nodes, bytes: lhs.bytes + rhs.bytes)
        }
    }

    /// The first alias at which aliases have produced more than `limit.nodes` nodes or `limit.bytes` bytes of
    /// scalar text; nil if the document stays within both (or does not parse: the composer reports that).
    static func firstExcess(in text: String, limit: Size) -> Exceeded? {
        // No `*`, no alias: the common case costs one scan.
        guard text.utf8.contains(UInt8(ascii: "*")) else { return nil }
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return nil }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var counter = Counter(limit: limit)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { return nil }
                if let excess = counter.record(event) { return excess }
            }
        }
    }

    /// Running sizes: of every open collection, and of every anchored node seen so far.
    private struct Counter {
        let limit: Size
        var produced = Size(nodes: 0, bytes: 0)
        var sizes: [String: Size] = [:]
        var open: [(anchor: String?, size: Size)] = []

        init(limit: Size) { self.limit = limit }

        mutating func record(_ event: yaml_event_t) -> Exceeded? {
            switch event.type {
            case YAML_SCALAR_EVENT:
                close(
                    anchor: Self.name(event.data.scalar.anchor),
                    size: Size(nodes: 1, bytes: Int(clamping: event.data.scalar.length)))
            case YAML_SEQUENCE_START_EVENT:
                open.append((Self.name(event.data.sequence_start.anchor), Size(nodes: 1, bytes: 0)))
            case YAML_MAPPING_START_EVENT:
                open.append((Self.name(event.data.mapping_start.anchor), Size(nodes: 1, bytes: 0)))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                if let node = open.popLast() { close(anchor: node.anchor, size: node.size) }
            case YAML_ALIAS_EVENT:
                let anchor = Self.name(event.data.alias.anchor) ?? ""
                let size = sizes[anchor] ?? Size(nodes: 0, bytes: 0)
                // Every size is at most what the text holds plus what aliases produced before this one, which is
                // within the limit, so these sums cannot overflow.
                produced = produced + size
                if produced.nodes > limit.nodes || produced.bytes > limit.bytes {
                    return Exceeded(
                        anchor: anchor, line: Int(clamping: event.start_mark.line), nodes: produced.nodes,
                        bytes: produced.bytes)
                }
                close(anchor: nil, size: size)
            default:
                break
            }
            return nil
        }

        /// A finished node of `size`: remembered under its anchor, and counted in its parent.
        private mutating func close(anchor: String?, size: Size) {
            if let anchor { sizes[anchor] = size }
            if !open.isEmpty { open[open.count - 1].size = open[open.count - 1].size + size }
        }

        private static func name(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: $0) }
        }
    }
}
