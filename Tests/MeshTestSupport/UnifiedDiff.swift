/// A line diff in the unified format of `diff -u` and `git diff`, for golden-file mismatches: the reader sees which
/// lines of the expected file the actual output changed, with three lines of context, instead of two whole files.
///
/// Myers' O(ND) algorithm on the lines left after the common head and tail are cut off; an edit script longer than
/// `maximumEdits` is not searched for (the files are then reported as entirely replaced).
public enum UnifiedDiff {
    public static let maximumEdits = 2000

    /// The unified diff turning `expected` into `actual`; empty when they are equal.
    public static func of(
        expected: String, actual: String, expectedName: String = "expected", actualName: String = "actual",
        context: Int = 3
    ) -> String {
        guard expected != actual else { return "" }
        let old = lines(expected)
        let new = lines(actual)
        let edits = script(old, new)
        var output = "--- \(expectedName)\n+++ \(actualName)\n"
        for hunk in hunks(edits, context: context) {
            output += hunk.header + "\n"
            for line in hunk.lines { output += line + "\n" }
        }
        if !expected.isEmpty, !actual.isEmpty, expected.hasSuffix("\n") != actual.hasSuffix("\n") {
            output +=
                "\\ the files differ in their final newline (expected \(expected.hasSuffix("\n") ? "has" : "lacks") one)\n"
        }
        return output
    }

    /// One line of the edit script: kept, removed from `expected`, or added in `actual`.
    enum Edit: Equatable {
        case keep(String)
        case remove(String)
        case add(String)
    }

    static func lines(_ text: String) -> [String] {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    /// The shortest edit script from `old` to `new`.
    static func script(_ old: [String], _ new: [String]) -> [Edit] {
        var head = 0
        while head < old.count, head < new.count, old[head] == new[head] { head += 1 }
        var tail = 0
        while tail < old.count - head, tail < new.count - head, old[old.count - 1 - tail] == new[new.count - 1 - tail] {
            tail += 1
        }
        let a = Array(old[head..<(old.count - tail)])
        let b = Array(new[head..<(new.count - tail)])
        let middle = myers(a, b) ?? (a.map(Edit.remove) + b.map(Edit.add))
        return old[..<head].map(Edit.keep) + middle + old[(old.count - tail)...].map(Edit.keep)
    }

    /// Myers' greedy search, keeping each round's furthest-reaching points to walk the path back; nil past
    /// `maximumEdits`.
    private static func myers(_ a: [String], _ b: [String]) -> [Edit]? {
        let n = a.count
        let m = b.count
        if n == 0 { return b.map(Edit.add) }
        if m == 0 { return a.map(Edit.remove) }
        let limit = min(n + m, maximumEdits)
        // trace[d][k + d] is the furthest x on diagonal k after d edits.
        var trace: [[Int]] = []
        var previous: [Int] = [0]
        for d in 0...limit {
            var current = [Int](repeating: 0, count: 2 * d + 1)
            for k in stride(from: -d, through: d, by: 2) {
                func before(_ k: Int) -> Int { previous[k + d - 1] }
                var x: Int
                if d == 0 {
                    x = 0
                } else if k == -d || (k != d && before(k - 1) < before(k + 1)) {
                    x = before(k + 1)  // down: an insertion
                } else {
                    x = before(k - 1) + 1  // right: a deletion
                }
                var y = x - k
                while x < n, y < m, a[x] == b[y] {
                    x += 1
                    y += 1
                }
                current[k + d] = x
                if x >= n, y >= m {
                    trace.append(current)
                    return backtrack(trace, a, b)
                }
            }
            trace.append(current)
            previous = current
        }
        return nil
    }

    private static func backtrack(_ trace: [[Int]], _ a: [String], _ b: [String]) -> [Edit] {
        var edits: [Edit] = []
        var x = a.count
        var y = b.count
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let k = x - y
            if d == 0 {
                while x > 0, y > 0 {
                    x -= 1
                    y -= 1
                    edits.append(.keep(a[x]))
                }
                break
            }
            let previous = trace[d - 1]
            func at(_ k: Int) -> Int { previous[k + d - 1] }
            let down = k == -d || (k != d && at(k - 1) < at(k + 1))
            let previousK = down ? k + 1 : k - 1
            let previousX = at(previousK)
            let previousY = previousX - previousK
            while x > previousX + (down ? 0 : 1), y > previousY + (down ? 1 : 0) {
                x -= 1
                y -= 1
                edits.append(.keep(a[x]))
            }
            if down {
                y -= 1
                edits.append(.add(b[y]))
            } else {
                x -= 1
                edits.append(.remove(a[x]))
            }
        }
        return edits.reversed()
    }

    /// `start,count`, or `start` alone for one line, as GNU diff writes it.
    private static func span(_ start: Int, _ count: Int) -> String {
        count == 1 ? "\(start)" : "\(start),\(count)"
    }

    struct Hunk {
        var header: String
        var lines: [String]
    }

    /// Groups the changes with `context` kept lines around each; changes closer than twice that share a hunk.
    static func hunks(_ edits: [Edit], context: Int) -> [Hunk] {
        let changed = edits.indices.filter { if case .keep = edits[$0] { return false } else { return true } }
        guard !changed.isEmpty else { return [] }
        var ranges: [ClosedRange<Int>] = []
        for index in changed {
            let range = max(0, index - context)...min(edits.count - 1, index + context)
            if let last = ranges.last, range.lowerBound <= last.upperBound + 1 {
                ranges[ranges.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                ranges.append(range)
            }
        }
        // Line numbers (1-based) in each file at the start of every edit.
        var oldLine = 1
        var newLine = 1
        var starts: [(old: Int, new: Int)] = []
        for edit in edits {
            starts.append((oldLine, newLine))
            switch edit {
            case .keep:
                oldLine += 1
                newLine += 1
            case .remove: oldLine += 1
            case .add: newLine += 1
            }
        }
        return ranges.map { range in
            var lines: [String] = []
            var oldCount = 0
            var newCount = 0
            for edit in edits[range] {
                switch edit {
                case .keep(let line):
                    lines.append(" " + line)
                    oldCount += 1
                    newCount += 1
                case .remove(let line):
                    lines.append("-" + line)
                    oldCount += 1
                case .add(let line):
                    lines.append("+" + line)
                    newCount += 1
                }
            }
            // As diff -u does, an empty side names the line before it.
            let oldStart = oldCount == 0 ? starts[range.lowerBound].old - 1 : starts[range.lowerBound].old
            let newStart = newCount == 0 ? starts[range.lowerBound].new - 1 : starts[range.lowerBound].new
            return Hunk(header: "@@ -\(span(oldStart, oldCount)) +\(span(newStart, newCount)) @@", lines: lines)
        }
    }
}
