/// FNV-1a, 64 bit: the one stable content hash of meshd (xDS versions, snapshot versions, file digests). Unlike
/// `Hasher`, it gives the same value in every process, so a version survives restarts and agrees across replicas.
///
/// A value type with no shared state; inlinable, since it runs over every byte of every resource generated.
public struct FNV1a64: Sendable, Hashable {
    /// The FNV-1a 64 offset basis: where every hash starts unless a seed is given.
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    @usableFromInline static let prime: UInt64 = 0x0000_0100_0000_01b3

    @usableFromInline var state: UInt64

    /// A hash starting from the offset basis, or from `seed` (a second, independent digest of the same bytes).
    @inlinable public init(seed: UInt64 = FNV1a64.offsetBasis) { state = seed }

    /// The hash so far.
    @inlinable public var value: UInt64 { state }

    /// Adds `bytes`, in order.
    @inlinable public mutating func add<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes {
            state ^= UInt64(byte)
            state &*= Self.prime
        }
    }

    /// Adds the UTF-8 bytes of `text`, with no separator: `add("ab"); add("c")` equals `add("abc")`.
    @inlinable public mutating func add(_ text: String) { add(bytes: text.utf8) }

    /// Adds the UTF-8 bytes of `text` and a zero byte after them, so that the fields ("ab", "c") and ("a", "bc")
    /// hash apart.
    @inlinable public mutating func add(field text: String) {
        add(bytes: text.utf8)
        add(bytes: CollectionOfOne(0))
    }

    /// Adds the eight bytes of `value`, least significant first.
    @inlinable public mutating func add(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) {
            add(bytes: CollectionOfOne(UInt8(truncatingIfNeeded: value >> UInt64(shift))))
        }
    }

    /// The hash as 16 lower-case hex digits.
    public var hex: String {
        let digits = String(state, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }
}
