import Foundation

/// SplitMix64: a small deterministic generator, so that a failing run can be repeated exactly.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// A seed derived from `text` (FNV-1a), mixed with MESHD_PROPERTY_SEED when set.
    public static func seed(for text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let extra = ProcessInfo.processInfo.environment["MESHD_PROPERTY_SEED"].flatMap { UInt64($0) } ?? 0
        return hash ^ extra
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
