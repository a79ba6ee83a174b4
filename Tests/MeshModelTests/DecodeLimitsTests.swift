import MeshModel
import Testing

/// Issue 12 item 7: a small file must not make the decoder do unbounded work, and a large one must cost time in
/// proportion to its size. Limits refuse a file or document before it is parsed, with an error naming it.
@Suite("Decode limits")
struct DecodeLimitsTests {
    /// The classic "billion laughs": nine levels of nine aliases each, about 1.9 KB, standing for 9^9 nodes.
    static func aliasBomb(levels: Int = 9) -> String {
        var lines = [
            "apiVersion: v1", "kind: Service", "metadata:", "  name: bomb", "  namespace: default",
            "  labels: {app: bomb}", "spec:", "  selector:", "    a0: &a0 lol",
        ]
        for level in 1..<levels {
            let refs = Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ")
            lines.append("    a\(level): &a\(level) [\(refs)]")
        }
        lines.append("    top: [\(Array(repeating: "*a\(levels - 1)", count: 9).joined(separator: ", "))]")
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("an alias bomb is refused before it is expanded, naming the file, line and alias")
    func aliasBombRefused() throws {
        let bomb = Self.aliasBomb()
        #expect(bomb.utf8.count < 2_000)
        let result = ConfigDecoder.decode(yaml: bomb, file: "bomb.yaml")
        #expect(result.objects.isEmpty)
        let error = try #require(onlyError(result))
        #expect(error.file == "bomb.yaml")
        #expect(error.reason.hasPrefix("aliases expand to more than 10000 nodes (the limit) by alias *a"), "\(error)")
        // The alias at which the budget ran out: level 5 repeats 9^4-node lists, so the sixth line of aliases.
        #expect(error.line == 14, "\(error)")
        #expect(error.description.hasPrefix("bomb.yaml:14: aliases expand"), "\(error)")
    }

    /// Aliases used as mapping keys would make Yams hash every expansion while composing; refused the same way.
    @Test("aliases as mapping keys are counted too")
    func aliasKeys() throws {
        var text = "a0: &a0 {x: 1}\n"
        for level in 1..<8 {
            let keys = (0..<9).map { "  ? [*a\(level - 1), \($0)]\n  : v" }.joined(separator: "\n")
            text += "a\(level): &a\(level)\n\(keys)\n"
        }
        let error = try #require(onlyError(ConfigDecoder.decode(yaml: text, file: "keys.yaml")))
        #expect(error.reason.contains("aliases expand to more than 10000 nodes"), "\(error)")
    }

    @Test("a few aliases (anchors for repeated blocks) stay within the limit and decode")
    func modestAliases() throws {
        let yaml = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              http:
              - match: [{headers: {end-user: {exact: jason}}}]
                route: &v2
                - destination: {host: reviews, subset: v2}
              - match: [{headers: {end-user: {exact: kim}}}]
                route: *v2
              - route: *v2
            """
        let resource = try #require(onlyResource(decode(yaml)))
        guard case .virtualService(let service) = resource else {
            Issue.record("not a VirtualService")
            return
        }
        #expect(service.http.map { $0.route.first?.destination.subset } == ["v2", "v2", "v2"])
    }

    @Test("the alias limit is a setting: a lower one refuses what the default accepts")
    func aliasLimitSetting() throws {
        // `status` of a Service is ignored; two aliases of the 6-node port list add 12 nodes.
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: reviews, namespace: default}
            spec:
              ports: &ports [{name: http, port: 80}]
            status: {copies: [*ports, *ports]}
            """
        let accepted = ConfigDecoder.decode(yaml: yaml, file: "x.yaml")
        #expect(accepted.errors.isEmpty, "\(accepted.errors)")
        #expect(accepted.objects.count == 1)
        let limits = DecodeLimits(maxFileBytes: 1 << 20, maxDocumentBytes: 1 << 20, maxAliasNodes: 11)
        let error = try #require(onlyError(ConfigDecoder.decode(yaml: yaml, file: "x.yaml", limits: limits)))
        #expect(
            error.reason == "aliases expand to more than 11 nodes (the limit) by alias *ports; document not decoded")
        #expect(error.line == 6)
    }

    /// An alias of a long string repeats its bytes: a 2 KB file could stand for megabytes of header values.
    @Test("aliases that repeat a long string are bounded by bytes as well as nodes")
    func aliasBytes() throws {
        let long = String(repeating: "x", count: 2_000)
        var lines = [
            "apiVersion: v1", "kind: Service", "metadata: {name: long, namespace: default}",
            "status:", "  text: &t \(long)", "  copies:",
        ]
        lines += Array(repeating: "  - *t", count: 600)
        let error = try #require(
            onlyError(ConfigDecoder.decode(yaml: lines.joined(separator: "\n"), file: "long.yaml")))
        #expect(
            error.reason
                == "aliases expand to more than 1048576 bytes of text (the limit) by alias *t; document not decoded")
        // The 525th copy is the first past 1 MiB (525 x 2,000 bytes), on line 6 + 525.
        #expect(error.line == 531, "\(error)")
    }

    @Test("a document over the size limit is refused unparsed; the file's other documents still decode")
    func documentTooLarge() throws {
        let small =
            "apiVersion: v1\nkind: Service\nmetadata: {name: small, namespace: default}\nspec: {ports: [{port: 80}]}\n"
        let padding = String(repeating: "# padding\n", count: 200)
        let large = "apiVersion: v1\nkind: Service\nmetadata: {name: large, namespace: default}\n" + padding
        let limits = DecodeLimits(maxFileBytes: 1 << 20, maxDocumentBytes: 1_000, maxAliasNodes: 10)
        let result = ConfigDecoder.decode(yaml: small + "---\n" + large, file: "big.yaml", limits: limits)
        #expect(result.objects.map(\.key.name) == ["small"])
        let error = try #require(onlyError(result))
        #expect(error.document == 2)
        #expect(error.line == 5)
        #expect(error.reason.hasPrefix("document is "), "\(error)")
        #expect(error.reason.hasSuffix(" bytes, more than the limit of 1000 bytes; not decoded"), "\(error)")
    }

    @Test("a file over the size limit is refused as a whole")
    func fileTooLarge() throws {
        let limits = DecodeLimits(maxFileBytes: 100, maxDocumentBytes: 100, maxAliasNodes: 10)
        let text = String(repeating: "# comment line\n", count: 10)
        let error = try #require(onlyError(ConfigDecoder.decode(yaml: text, file: "f.yaml", limits: limits)))
        #expect(error.description == "f.yaml: file is 150 bytes, more than the limit of 100 bytes; not decoded")
    }

    /// 40,000 labels (about 560 KB) took 75 s to decode when every label lookup scanned the mapping.
    @Test("40,000 labels decode, every one of them")
    func manyLabels() throws {
        var lines = [
            "apiVersion: v1", "kind: Pod", "metadata:", "  name: labelled", "  namespace: default", "  labels:",
        ]
        for index in 0..<40_000 { lines.append("    label-number-\(index): value-number-\(index)") }
        lines += ["spec: {containers: [{name: app}]}", "status: {podIP: 10.1.2.3}"]
        let text = lines.joined(separator: "\n")
        #expect(text.utf8.count > 500_000)
        let resource = try #require(onlyResource(decode(text)))
        #expect(resource.meta.labels.count == 40_000)
        #expect(resource.meta.labels["label-number-0"] == "value-number-0")
        #expect(resource.meta.labels["label-number-39999"] == "value-number-39999")
    }

    @Test("bytes that are not UTF-8 are refused with the byte offset and line")
    func notUTF8() throws {
        var bytes = Array("apiVersion: v1\nkind: Service\nmetadata:\n  name: caf".utf8)
        let offset = bytes.count
        bytes += [0xE9, 0x0A]  // Latin-1 "é": not UTF-8
        let result = ConfigDecoder.decode(bytes: bytes, file: "latin1.yaml")
        #expect(result.objects.isEmpty)
        let error = try #require(onlyError(result))
        #expect(
            error.description == "latin1.yaml:4: not UTF-8 text: invalid byte 0xE9 at byte offset \(offset) (line 4)")
        let valid = ConfigDecoder.decode(
            bytes: Array("apiVersion: v1\nkind: Service\nmetadata: {name: café}\n".utf8), file: "ok.yaml")
        #expect(valid.errors.isEmpty, "\(valid.errors)")
        #expect(valid.objects.map(\.key.name) == ["café"])
    }
}
