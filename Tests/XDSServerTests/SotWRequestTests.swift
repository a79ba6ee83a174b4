import EnvoyAPI
import Foundation
import SwiftProtobuf
import Testing
import XDSServer

/// The SotW request reader: what it reads from the wire matches SwiftProtobuf's decoding field for field, and the
/// names' digest tells equal lists from different ones without decoding them.
@Suite struct SotWRequestTests {
    typealias Request = Envoy_Service_Discovery_V3_DiscoveryRequest

    static let names = (0..<50).map { "outbound|80||svc-\($0).ns-\($0 % 7).svc.cluster.local" } + ["ünïcode|80||x"]

    static func fullRequest(names: [String] = names) -> Request {
        var request = Request()
        request.versionInfo = "v7"
        request.node.id = "sidecar~10.0.0.1~reviews-v1.default~default.svc.cluster.local"
        request.node.cluster = "reviews.default"
        request.resourceNames = names
        request.typeURL = XDSType.endpoint.rawValue
        request.responseNonce = "n42"
        request.errorDetail.code = 13
        request.errorDetail.message = "rejected: duplicate"
        return request
    }

    static func read(_ bytes: [UInt8]) throws -> SotWRequest {
        try bytes.withUnsafeBytes { try SotWRequest(serializedBytes: $0) }
    }

    static func read(_ request: Request) throws -> SotWRequest {
        try read(try request.serializedBytes())
    }

    /// The tag and length of a length-delimited field, then its bytes.
    static func field(_ number: Int, _ payload: [UInt8]) -> [UInt8] {
        precondition(payload.count < 128 && number < 16)
        return [UInt8(number << 3 | 2), UInt8(payload.count)] + payload
    }

    @Test func readsEveryFieldAsSwiftProtobufDoesAndTheNamesInOrder() throws {
        let original = Self.fullRequest()
        let read = try Self.read(original)
        var withoutNames = original
        withoutNames.resourceNames = []
        #expect(read.message == withoutNames)
        #expect(read.message.resourceNames.isEmpty)
        #expect(read.resourceNames == Self.names)
        #expect(read.nameCount == Self.names.count)
        #expect(read.typeURL == XDSType.endpoint.rawValue)
        #expect(read.responseNonce == "n42")
        #expect(read.versionInfo == "v7")
        #expect(read.hasNode && read.node.id == original.node.id)
        #expect(read.hasErrorDetail && read.errorDetail.message == "rejected: duplicate")
    }

    @Test func theDigestFromTheWireEqualsTheDigestOfTheStringsAndTellsListsApart() throws {
        let read = try Self.read(Self.fullRequest())
        #expect(read.namesDigest == SotWRequest(Self.fullRequest()).namesDigest)
        #expect(try Self.read(Self.fullRequest()).namesDigest == read.namesDigest)
        let reordered = try Self.read(Self.fullRequest(names: Self.names.reversed()))
        #expect(reordered.namesDigest != read.namesDigest)
        let shorter = try Self.read(Self.fullRequest(names: Array(Self.names.dropLast())))
        #expect(shorter.namesDigest != read.namesDigest)
        // Two names joined differently must not collide: "ab","c" against "a","bc".
        let first = try Self.read(Self.fullRequest(names: ["ab", "c"]))
        let second = try Self.read(Self.fullRequest(names: ["a", "bc"]))
        #expect(first.namesDigest != second.namesDigest)
        let none = try Self.read(Self.fullRequest(names: []))
        #expect(none.nameCount == 0 && none.resourceNames.isEmpty)
        #expect(none.namesDigest == SotWRequest(Self.fullRequest(names: [])).namesDigest)
    }

    @Test func namesBetweenOtherFieldsAndUnknownFieldsAreReadAsSwiftProtobufReadsThem() throws {
        let type = Array(XDSType.cluster.rawValue.utf8)
        // name "a", type_url, name "b", nonce "n1", an unknown varint field 99, an unknown group (field 20).
        var bytes = Self.field(3, Array("a".utf8)) + Self.field(4, type) + Self.field(3, Array("b".utf8))
        bytes += Self.field(5, Array("n1".utf8))
        bytes += [0x98, 0x06, 0x2A]  // field 99, varint 42
        bytes += [0xA3, 0x01, 0x08, 0x01, 0xA4, 0x01]  // field 20 start group, field 1 varint 1, end group
        let decoded = try Request(serializedBytes: bytes)
        let read = try Self.read(bytes)
        #expect(read.resourceNames == ["a", "b"])
        #expect(read.resourceNames == decoded.resourceNames)
        var withoutNames = decoded
        withoutNames.resourceNames = []
        #expect(read.message == withoutNames)
        #expect(read.typeURL == XDSType.cluster.rawValue && read.responseNonce == "n1")
        // The unknown fields are kept, as SwiftProtobuf keeps them.
        #expect(!read.message.unknownFields.data.isEmpty)
    }

    @Test func malformedBytesAreRefusedWhereSwiftProtobufRefusesThem() throws {
        let good = try Self.fullRequest().serializedBytes() as [UInt8]
        let cases: [(String, [UInt8])] = [
            ("truncated in the middle", Array(good.prefix(good.count / 2))),
            ("a name whose length runs past the end", [0x1A, 0x10, 0x61]),
            ("a name that is not UTF-8", Self.field(3, [0x61, 0xFF, 0x62])),
            ("a varint that never ends", [0x08] + Array(repeating: 0xFF, count: 11)),
            ("field number 0", [0x02, 0x00]),
            ("an end group without a start", [0xA4, 0x01]),
            ("a group that is not closed", [0xA3, 0x01, 0x08, 0x01]),
            ("wire type 7", [0x1F]),
        ]
        for (label, bytes) in cases {
            #expect(throws: (any Error).self, "\(label): SwiftProtobuf refuses it") {
                try Request(serializedBytes: bytes)
            }
            #expect(throws: (any Error).self, "\(label): the reader refuses it") { try Self.read(bytes) }
        }
    }

    /// SplitMix64: a fixed sequence, so a failure can be replayed.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }

    @Test func mutatedRequestsAreReadExactlyAsSwiftProtobufReadsThem() throws {
        var random = Random(state: 18)
        let base = try Self.fullRequest(names: Array(Self.names.prefix(8))).serializedBytes() as [UInt8]
        var agreedRefusals = 0
        for _ in 0..<5_000 {
            var bytes = base
            for _ in 0..<(1 + random.below(4)) {
                switch random.below(4) {
                case 0: bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes.removeLast(random.below(min(bytes.count, 40)))
                case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: random.below(bytes.count + 1))
                default: bytes[random.below(bytes.count)] ^= 0x80
                }
                if bytes.isEmpty { bytes = base }
            }
            let decoded = try? Request(serializedBytes: bytes)
            let read = try? Self.read(bytes)
            guard let decoded, let read else {
                #expect(decoded == nil && read == nil, "one refused what the other read: \(bytes)")
                agreedRefusals += 1
                continue
            }
            var withoutNames = decoded
            withoutNames.resourceNames = []
            #expect(read.message == withoutNames, "\(bytes)")
            #expect(read.resourceNames == decoded.resourceNames, "\(bytes)")
            #expect(read.namesDigest == SotWRequest(decoded).namesDigest, "\(bytes)")
        }
        // Both outcomes were exercised, not only one.
        #expect(agreedRefusals > 100 && agreedRefusals < 4_900)
    }

    @Test func aStreamFedFromTheWireAcknowledgesTheSameNamesAndResubscribesOnAChange() throws {
        var stream = SotWStream()
        var first = Self.fullRequest()
        first.responseNonce = ""
        first.clearErrorDetail()
        #expect(stream.received(try Self.read(first)) == .respond(.endpoint))
        #expect(stream.types[.endpoint]?.names == Set(Self.names))
        stream.sent(.endpoint, version: "v1", nonce: "n1", names: Self.names)

        var ack = first
        ack.versionInfo = "v1"
        ack.responseNonce = "n1"
        #expect(stream.received(try Self.read(ack)) == .acknowledged(.endpoint, version: "v1"))
        stream.sent(.endpoint, version: "v2", nonce: "n2", names: Self.names)

        var changed = ack
        changed.versionInfo = "v2"
        changed.responseNonce = "n2"
        changed.resourceNames = Array(Self.names.prefix(3))
        #expect(stream.received(try Self.read(changed)) == .respond(.endpoint))
        #expect(stream.types[.endpoint]?.names == Set(Self.names.prefix(3)))
    }
}
