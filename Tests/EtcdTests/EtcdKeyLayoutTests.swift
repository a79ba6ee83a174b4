import EtcdClient
import Logging
import MeshModel
import Testing

@testable import Registry

/// The key layout, the per-key decoding rules, endpoint URLs and the files-over-etcd precedence, with no etcd.
@Suite struct EtcdKeyLayoutTests {
    let layout = EtcdFixtures.layout

    @Test("keys name apiVersion, kind, namespace and name; core objects have no group segment")
    func layoutParses() {
        #expect(
            layout.entry(forKey: "/meshd/networking.istio.io/v1/VirtualService/default/reviews")
                == .object(
                    apiVersion: "networking.istio.io/v1", kind: "VirtualService", namespace: "default", name: "reviews")
        )
        #expect(
            layout.entry(forKey: "/meshd/v1/Service/bookinfo/ratings")
                == .object(apiVersion: "v1", kind: "Service", namespace: "bookinfo", name: "ratings"))
        #expect(layout.entry(forKey: "/meshd/_ca/root-cert.pem") == .reserved)
        guard case .malformed(let reason) = layout.entry(forKey: "/meshd/v1/Service/reviews") else {
            Issue.record("a three-segment key is not an object")
            return
        }
        #expect(
            reason.contains("<prefix>") == false && reason.contains("/meshd/<apiVersion>/<kind>/<namespace>/<name>"))
        #expect(EtcdKeyLayout(prefix: "meshd/").prefix == "/meshd")
    }

    @Test("a valid value decodes as from a file, named by its key")
    func validValue() throws {
        let key = EtcdFixtures.vsKey()
        let result = try #require(
            EtcdObjectDecoder.decode(
                EtcdKeyValue(key: key, value: Array(EtcdFixtures.virtualService(rev: "1").utf8), modRevision: 2),
                layout: layout))
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(
            result.objects.map(\.key) == [ResourceKey(kind: .virtualService, namespace: "default", name: "reviews")])
        #expect(result.objects.first?.source.file == "etcd:\(key)")
    }

    @Test("an invalid value is refused with its key, field path and reason")
    func invalidValue() throws {
        let key = EtcdFixtures.vsKey()
        let result = try #require(
            EtcdObjectDecoder.decode(
                EtcdKeyValue(key: key, value: Array(EtcdFixtures.invalidVirtualService().utf8), modRevision: 2),
                layout: layout))
        #expect(result.objects.isEmpty)
        let error = try #require(result.errors.first)
        #expect(error.file == "etcd:\(key)")
        #expect(error.fieldPath == "spec.http[0].route[0].weight", "\(error)")
        #expect(!error.reason.isEmpty)
    }

    @Test("a value that is not the object its key names is refused, naming the field and the right key")
    func mismatchedKey() throws {
        let key = EtcdFixtures.vsKey("ratings")
        let result = try #require(
            EtcdObjectDecoder.decode(
                EtcdKeyValue(key: key, value: Array(EtcdFixtures.virtualService(rev: "1").utf8), modRevision: 2),
                layout: layout))
        #expect(result.objects.isEmpty)
        let error = try #require(result.errors.first)
        #expect(error.fieldPath == "metadata.name")
        #expect(error.object == nil, "naming no object keeps the key's last good version")
        #expect(error.reason.contains(EtcdFixtures.vsKey("reviews")), "\(error.reason)")
    }

    @Test("a value holding two objects is refused")
    func twoObjects() throws {
        let key = EtcdFixtures.vsKey()
        let text =
            EtcdFixtures.virtualService(rev: "1") + "---\n" + EtcdFixtures.virtualService(name: "other", rev: "1")
        let result = try #require(
            EtcdObjectDecoder.decode(EtcdKeyValue(key: key, value: Array(text.utf8), modRevision: 2), layout: layout))
        #expect(result.objects.isEmpty)
        #expect(result.errors.first?.reason.contains("one object per key") == true)
    }

    @Test("meshd's own keys are not config")
    func reservedKeys() {
        #expect(
            EtcdObjectDecoder.decode(
                EtcdKeyValue(key: "/meshd/_ca/root-cert.pem", value: Array("x".utf8), modRevision: 2), layout: layout)
                == nil)
    }

    @Test("endpoint URLs: schemes, IPv6, DNS names, and errors that say what is wrong")
    func endpoints() throws {
        #expect(
            try EtcdEndpoint.parseList("http://127.0.0.1:2379, https://[::1]:2380,etcd.local:2379") == [
                EtcdEndpoint(host: .ipv4("127.0.0.1"), port: 2379, usesTLS: false),
                EtcdEndpoint(host: .ipv6("::1"), port: 2380, usesTLS: true),
                EtcdEndpoint(host: .dns("etcd.local"), port: 2379, usesTLS: false),
            ])
        #expect(throws: EtcdError.invalidEndpoint("ftp://x:1", reason: "the scheme must be http or https")) {
            try EtcdEndpoint(parsing: "ftp://x:1")
        }
        #expect(throws: EtcdError.self) { try EtcdEndpoint(parsing: "http://127.0.0.1") }
        #expect(throws: EtcdError.self) { try EtcdEndpoint(parsing: "http://127.0.0.1:99999") }
    }

    @Test("prefix range ends")
    func rangeEnd() {
        #expect(EtcdKeys.rangeEnd(ofPrefix: Array("/meshd/".utf8)) == Array("/meshd0".utf8))
        #expect(EtcdKeys.rangeEnd(ofPrefix: [0x61, 0xFF]) == [0x62])
        #expect(EtcdKeys.rangeEnd(ofPrefix: []) == [0])
    }

    @Test("files take precedence over etcd, whichever was loaded first")
    func filesWinOverEtcd() {
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        for etcdFirst in [true, false] {
            let store = ConfigStore(logger: quiet)
            let key = EtcdFixtures.vsKey()
            let etcdFile = EtcdObjectDecoder.fileName(forKey: key)
            let etcdResult = ConfigDecoder.decode(yaml: EtcdFixtures.virtualService(rev: "etcd"), file: etcdFile)
            let fileResult = ConfigDecoder.decode(
                yaml: EtcdFixtures.virtualService(rev: "file"), file: "/config/vs.yaml")
            if etcdFirst {
                store.apply(batch: [(etcdFile, etcdResult, [])], removing: [], precedence: .etcd)
                store.apply(file: "/config/vs.yaml", result: fileResult)
            } else {
                store.apply(file: "/config/vs.yaml", result: fileResult)
                store.apply(batch: [(etcdFile, etcdResult, [])], removing: [], precedence: .etcd)
            }
            #expect(EtcdFixtures.revision(of: "reviews", in: store) == "file", "etcd first: \(etcdFirst)")
            let duplicate = store.diagnostics().first { $0.file == etcdFile }
            #expect(duplicate?.reason.contains("files take precedence over etcd") == true, "\(store.diagnostics())")
            // Once the file is gone, etcd's copy takes over.
            store.remove(file: "/config/vs.yaml")
            #expect(EtcdFixtures.revision(of: "reviews", in: store) == "etcd")
        }
    }
}
