import Foundation
import MeshTestSupport
import Testing

/// The unified diff golden mismatches print, and the per-case regeneration filter.
@Suite("Golden mismatch reports")
struct GoldenDiffTests {
    @Test("a changed line is shown with three lines of context, as diff -u shows it")
    func changedLineInContext() {
        let expected = (1...10).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let actual = expected.replacingOccurrences(of: "line 5\n", with: "line five\n")
            .replacingOccurrences(of: "line 10\n", with: "line 10\nline 11\n")
        let diff = UnifiedDiff.of(expected: expected, actual: actual, expectedName: "a.json", actualName: "b.json")
        #expect(
            diff == """
                --- a.json
                +++ b.json
                @@ -2,9 +2,10 @@
                 line 2
                 line 3
                 line 4
                -line 5
                +line five
                 line 6
                 line 7
                 line 8
                 line 9
                 line 10
                +line 11

                """)
    }

    @Test("changes far apart are separate hunks; a removal at the start names line 0 for the empty side")
    func separateHunks() {
        let expected = (1...20).map { "\($0)" }.joined(separator: "\n") + "\n"
        let actual = (2...20).map { $0 == 15 ? "fifteen" : "\($0)" }.joined(separator: "\n") + "\n"
        let diff = UnifiedDiff.of(expected: expected, actual: actual)
        let headers = diff.split(separator: "\n").filter { $0.hasPrefix("@@") }
        #expect(headers == ["@@ -1,4 +1,3 @@", "@@ -12,7 +11,7 @@"], "\(diff)")
        #expect(UnifiedDiff.of(expected: "", actual: "a\n").contains("@@ -0,0 +1 @@"))
        #expect(UnifiedDiff.of(expected: expected, actual: expected).isEmpty)
    }

    /// Applying the hunks to the expected lines gives the actual lines, for many random edits; and the diff never
    /// marks more lines than were changed.
    @Test("the diff applied to the expected text gives the actual text")
    func roundTrip() throws {
        var generator = SeededGenerator(seed: 0x6469_6666)
        for round in 0..<300 {
            let old = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                "v\(Int.random(in: 0...6, using: &generator))"
            }
            var new = old
            var edits = 0
            for _ in 0..<Int.random(in: 0...6, using: &generator) {
                edits += 1
                switch Int.random(in: 0...2, using: &generator) {
                case 0 where !new.isEmpty: new.remove(at: Int.random(in: new.indices, using: &generator))
                case 1 where !new.isEmpty: new[Int.random(in: new.indices, using: &generator)] = "x\(round)"
                default: new.insert("y\(round)", at: Int.random(in: 0...new.count, using: &generator))
                }
            }
            let oldText = old.map { $0 + "\n" }.joined()
            let newText = new.map { $0 + "\n" }.joined()
            let diff = UnifiedDiff.of(expected: oldText, actual: newText)
            #expect(try Self.apply(diff, to: old) == new, "round \(round):\n\(diff)")
            let marked = diff.split(separator: "\n").filter {
                ($0.hasPrefix("-") || $0.hasPrefix("+")) && !$0.hasPrefix("---") && !$0.hasPrefix("+++")
            }
            #expect(marked.count <= 2 * edits, "round \(round): \(marked.count) lines marked for \(edits) edits")
        }
    }

    @Test("a golden mismatch names the file, tells how to regenerate only its case, and shows the diff")
    func mismatchMessage() throws {
        let message = try #require(
            GoldenFile.mismatch(
                expected: "[\n  1\n]\n", actual: "[\n  2\n]\n", label: "vs-match/routes.json", caseName: "vs-match"))
        #expect(message.contains("vs-match/routes.json differs"))
        #expect(message.contains("MESHD_UPDATE_GOLDEN=vs-match swift test"))
        #expect(message.contains("-  1\n+  2\n"))
        #expect(GoldenFile.mismatch(expected: "same\n", actual: "same\n", label: "x", caseName: "x") == nil)
    }

    @Test("MESHD_UPDATE_GOLDEN selects every case with 1, and only the named cases otherwise")
    func updateFilter() {
        #expect(!GoldenCorpus.updates("vs-match", setting: nil))
        #expect(GoldenCorpus.updates("vs-match", setting: "1"))
        #expect(GoldenCorpus.updates("vs-match", setting: "vs-match"))
        #expect(GoldenCorpus.updates("dr-tls", setting: "vs-match, dr-tls"))
        #expect(!GoldenCorpus.updates("vs-match", setting: "vs-match-2"))
        #expect(!GoldenCorpus.updates("vs", setting: "vs-match"))
    }

    /// Applies a unified diff to `lines`, checking every context and removed line against them.
    static func apply(_ diff: String, to lines: [String]) throws -> [String] {
        var result: [String] = []
        var position = 0
        for line in diff.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("---") || line.hasPrefix("+++") || line.hasPrefix("\\") || line.isEmpty { continue }
            if line.hasPrefix("@@") {
                let old = line.split(separator: " ")[1].dropFirst().split(separator: ",")
                let start = Int(old[0]) ?? 0
                let count = old.count > 1 ? Int(old[1]) ?? 0 : 1
                let target = count == 0 ? start : start - 1
                result += lines[position..<target]
                position = target
                continue
            }
            let text = String(line.dropFirst())
            switch line.first {
            case " ", "-":
                guard position < lines.count, lines[position] == text else {
                    throw HarnessError("context mismatch at \(position): \(line)")
                }
                if line.first == " " { result.append(text) }
                position += 1
            case "+": result.append(text)
            default: throw HarnessError("unexpected diff line \(line)")
            }
        }
        return result + lines[position...]
    }
}
