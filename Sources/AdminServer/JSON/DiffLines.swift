/// A unified-style line diff (`@@ -a,b +c,d @@`, then ` `, `-` and `+` lines), for showing how one generated
/// resource would change. Pure.
///
/// The common head and tail are trimmed first, so the usual small edit of a large resource costs little; the
/// rest is a longest-common-subsequence table, refused (with a one-line summary) when it would exceed
/// `maxCells`. The output is cut at `maxLines`.
enum LineDiff {
    private enum Edit {
        case same(String)
        case removed(String)
        case added(String)
    }

    /// The hunks that turn `old` into `new`, with `context` unchanged lines around each change. Empty when equal.
    static func unified(
        old: [String], new: [String], context: Int = 3, maxCells: Int = 4_000_000, maxLines: Int = 400
    ) -> (lines: [String], truncated: Bool) {
        guard let edits = script(old: old, new: new, maxCells: maxCells) else {
            return (["@@ -1,\(old.count) +1,\(new.count) @@ (too large to diff line by line)"], true)
        }
        let lines = hunks(edits, context: max(0, context))
        if lines.count > maxLines {
            return (Array(lines.prefix(maxLines)) + ["... \(lines.count - maxLines) more diff lines"], true)
        }
        return (lines, false)
    }

    /// The full edit script, or nil when the changed middle is too large for the table.
    private static func script(old: [String], new: [String], maxCells: Int) -> [Edit]? {
        var head = 0
        while head < old.count, head < new.count, old[head] == new[head] { head += 1 }
        var tail = 0
        while tail < old.count - head, tail < new.count - head, old[old.count - 1 - tail] == new[new.count - 1 - tail] {
            tail += 1
        }
        let a = Array(old[head..<(old.count - tail)])
        let b = Array(new[head..<(new.count - tail)])
        let (n, m) = (a.count, b.count)
        let (cells, overflow) = n.multipliedReportingOverflow(by: m)
        guard !overflow, cells <= maxCells else { return nil }
        // lcs[i][j]: length of the LCS of a[i...] and b[j...], flattened.
        var lcs = [Int32](repeating: 0, count: (n + 1) * (m + 1))
        let width = m + 1
        if n > 0, m > 0 {
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    lcs[i * width + j] =
                        a[i] == b[j]
                        ? lcs[(i + 1) * width + j + 1] + 1 : max(lcs[(i + 1) * width + j], lcs[i * width + j + 1])
                }
            }
        }
        var edits = old[..<head].map { Edit.same($0) }
        var (i, j) = (0, 0)
        while i < n || j < m {
            if i < n, j < m, a[i] == b[j] {
                edits.append(.same(a[i]))
                i += 1
                j += 1
            } else if i < n, j == m || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1] {
                // Removals before additions, as unified diffs show a replaced line.
                edits.append(.removed(a[i]))
                i += 1
            } else {
                edits.append(.added(b[j]))
                j += 1
            }
        }
        edits += old[(old.count - tail)...].map { Edit.same($0) }
        return edits
    }

    /// Groups the changes of `edits` into hunks with `context` lines around them.
    private static func hunks(_ edits: [Edit], context: Int) -> [String] {
        let changed = edits.indices.filter { if case .same = edits[$0] { false } else { true } }
        guard let first = changed.first else { return [] }
        // Ranges of edit indices, merged when their context would overlap.
        var ranges: [ClosedRange<Int>] = []
        var start = first
        var end = first
        for index in changed.dropFirst() {
            if index - end > 2 * context {
                ranges.append(start...end)
                start = index
            }
            end = index
        }
        ranges.append(start...end)

        // Line numbers (1-based) of each edit in the old and new text.
        var oldLine = [Int](repeating: 0, count: edits.count)
        var newLine = [Int](repeating: 0, count: edits.count)
        var (o, n) = (1, 1)
        for (index, edit) in edits.enumerated() {
            oldLine[index] = o
            newLine[index] = n
            switch edit {
            case .same:
                o += 1
                n += 1
            case .removed: o += 1
            case .added: n += 1
            }
        }
        var lines: [String] = []
        for range in ranges {
            let lower = max(0, range.lowerBound - context)
            let upper = min(edits.count - 1, range.upperBound + context)
            var body: [String] = []
            var (oldCount, newCount) = (0, 0)
            for edit in edits[lower...upper] {
                switch edit {
                case .same(let text):
                    body.append(" " + text)
                    oldCount += 1
                    newCount += 1
                case .removed(let text):
                    body.append("-" + text)
                    oldCount += 1
                case .added(let text):
                    body.append("+" + text)
                    newCount += 1
                }
            }
            let oldStart = oldCount == 0 ? oldLine[lower] - 1 : oldLine[lower]
            let newStart = newCount == 0 ? newLine[lower] - 1 : newLine[lower]
            lines.append("@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@")
            lines += body
        }
        return lines
    }
}
