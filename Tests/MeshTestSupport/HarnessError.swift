/// A failure of the end-to-end harness itself (a namespace that would not come up, a process that died, a
/// wait that ran out), worded so that the reader knows what to look at next.
public struct HarnessError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
