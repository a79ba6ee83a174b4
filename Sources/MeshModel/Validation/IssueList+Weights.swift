extension IssueList {
    /// The weights of an http, tcp or tls route's destinations (`path` is the route list).
    ///
    /// istiod refuses a negative weight, a weight that is not an int32 (its protobuf type) and a split where
    /// nothing gets traffic. Envoy refuses a split whose weights add up to more than a uint32, so that is refused
    /// here too rather than NACKed. The sum saturates instead of overflowing, whatever the values.
    mutating func checkWeights(_ weights: [Int], at path: String) {
        // istiod's zero check adds the weights as written; Envoy's limit is on what it is sent (no negatives).
        var written = 0
        var sent = 0
        for (index, weight) in weights.enumerated() {
            if weight < 0 {
                add("\(path)[\(index)].weight", "weight \(weight) < 0")
            } else if weight > Int(Int32.max) {
                add("\(path)[\(index)].weight", "weight \(weight) does not fit in an int32 (at most \(Int32.max))")
            }
            written = Self.saturatingSum(written, weight)
            sent = Self.saturatingSum(sent, max(0, weight))
        }
        if weights.count > 1 && written == 0 {
            add(path, "total destination weight = 0")
        } else if sent > Int(UInt32.max) {
            add(path, "total destination weight \(sent) exceeds \(UInt32.max), the most Envoy accepts")
        }
    }

    /// `a + b`, pinned to `Int.min` or `Int.max` instead of trapping.
    static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard overflow else { return sum }
        return b > 0 ? Int.max : Int.min
    }
}
