public import MeshPrimitives

/// What a push asks of a connection: which types to re-evaluate, and the provider generation it carries.
///
/// Requests merge (`merged(with:)`): a connection that has not started the last push gets one push that
/// covers both, which is how a connection's pending slot stays bounded at one entry.
public struct PushRequest: Sendable, Hashable {
    /// The types to re-generate and compare; others are left alone (e.g. `[.endpoint]` for the EDS fast path).
    public var types: Set<XDSType>
    /// The provider generation this push makes current; lets observers settle changes a push did not alter.
    public var generation: UInt64

    public init(types: Set<XDSType> = Set(XDSType.allCases), generation: UInt64 = 0) {
        self.types = types
        self.generation = generation
    }

    /// Every type.
    public static let all = PushRequest()

    /// One push that does the work of both.
    public func merged(with other: PushRequest) -> PushRequest {
        PushRequest(types: types.union(other.types), generation: max(generation, other.generation))
    }

    /// True when the push re-evaluates every type.
    public var isFull: Bool { types.count == XDSType.allCases.count }
}
