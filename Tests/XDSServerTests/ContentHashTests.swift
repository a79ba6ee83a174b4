import MeshPrimitives
import Testing
import XDSServer

/// The one FNV-1a implementation (`MeshPrimitives.FNV1a64`) gives the published FNV-1a 64 values, and the xDS
/// versions built on it are the ones meshd has always sent (versions must agree across restarts and replicas).
@Suite("FNV-1a 64 content hash")
struct ContentHashTests {
    @Test("the published test vectors")
    func vectors() {
        #expect(FNV1a64().value == 0xcbf2_9ce4_8422_2325)
        var a = FNV1a64()
        a.add("a")
        #expect(a.value == 0xaf63_dc4c_8601_ec8c)
        var foobar = FNV1a64()
        foobar.add("foo")
        foobar.add("bar")
        #expect(foobar.value == 0x8594_4171_f739_67e8)
        #expect(foobar.hex == "85944171f73967e8")
    }

    @Test("fields, integers and seeds combine as the three former copies did")
    func combinations() throws {
        // XDSResource: the name as a zero-terminated field, then the bytes.
        #expect(try XDSResource(name: "a", encoded: [1, 2, 3]).version == "768c7dfe56abfe8c")
        var field = FNV1a64()
        field.add(field: "ab")
        var other = FNV1a64()
        other.add(field: "a")
        #expect(field.value != other.value)
        // MeshModel: integers least significant byte first.
        var integer = FNV1a64()
        integer.add(UInt64(0x0102_0304_0506_0708))
        var bytes = FNV1a64()
        bytes.add(bytes: [8, 7, 6, 5, 4, 3, 2, 1] as [UInt8])
        #expect(integer.value == bytes.value)
        // DirectoryScanner: a second digest from another seed.
        var seeded = FNV1a64(seed: 0x8422_2325_cbf2_9ce4)
        seeded.add(bytes: [UInt8(ascii: "a") ^ 0x5a])
        #expect(seeded.hex == "789e98398d408eed")
    }
}
