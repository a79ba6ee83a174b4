import MeshModel
import Registry
import Testing

/// A Service document named `name` with one port.
func serviceYAML(_ name: String, port: Int = 80) -> String {
    "apiVersion: v1\nkind: Service\nmetadata: {name: \(name)}\nspec: {ports: [{name: http, port: \(port)}]}\n"
}

extension ConfigStore {
    func load(_ file: String, _ yaml: String) {
        apply(file: file, result: ConfigDecoder.decode(yaml: yaml, file: file))
    }

    func port(of name: String) -> Int? {
        snapshot().servicesByHostname["\(name).default.svc.cluster.local"]?.ports.first?.port
    }
}

@Suite("ConfigStore last-good semantics")
struct ConfigStoreTests {
    @Test func badEditKeepsThePreviousVersion() {
        let store = ConfigStore()
        store.load("a.yaml", serviceYAML("web", port: 80) + "---\n" + serviceYAML("api", port: 81))
        let good = store.snapshot().version
        store.load("a.yaml", serviceYAML("web", port: 99999) + "---\n" + serviceYAML("api", port: 82))
        #expect(store.port(of: "web") == 80)
        #expect(store.port(of: "api") == 82)
        #expect(store.snapshot().version != good)
        #expect(store.diagnostics().map(\.fieldPath) == ["spec.ports[0].port"])
        store.load("a.yaml", serviceYAML("web", port: 8080) + "---\n" + serviceYAML("api", port: 82))
        #expect(store.port(of: "web") == 8080)
        #expect(store.diagnostics().isEmpty)
    }

    @Test func unparseableFileKeepsEverything() {
        let store = ConfigStore()
        store.load("a.yaml", serviceYAML("web") + "---\n" + serviceYAML("api"))
        let before = store.snapshot().version
        store.load("a.yaml", "apiVersion: v1\nkind: [unclosed\n")
        #expect(store.snapshot().version == before)
        #expect(store.objects().map(\.key.name) == ["api", "web"])
        #expect(store.diagnostics().count == 1)
    }

    @Test func objectsGoneFromACleanFileAreRemoved() {
        let store = ConfigStore()
        store.load("a.yaml", serviceYAML("web") + "---\n" + serviceYAML("api"))
        store.load("a.yaml", serviceYAML("web"))
        #expect(store.objects().map(\.key.name) == ["web"])
    }

    @Test func removingAFileRemovesItsObjects() {
        let store = ConfigStore()
        store.load("a.yaml", serviceYAML("web"))
        store.load("b.yaml", serviceYAML("api"))
        store.remove(file: "a.yaml")
        #expect(store.objects().map(\.key.name) == ["api"])
        #expect(store.port(of: "web") == nil)
    }

    @Test func duplicateAcrossFilesKeepsTheFirstAndNamesBoth() throws {
        let store = ConfigStore()
        store.load("a.yaml", serviceYAML("web", port: 80))
        store.load("b.yaml", serviceYAML("web", port: 81))
        #expect(store.port(of: "web") == 80)
        let error = try #require(store.diagnostics().first)
        #expect(store.diagnostics().count == 1)
        #expect(error.file == "b.yaml")
        #expect(error.severity == .error)
        #expect(error.reason.contains("a.yaml") && error.reason.contains("b.yaml"))
        // Editing the first file keeps it in force; deleting it lets the other declaration take over.
        store.load("a.yaml", serviceYAML("web", port: 82))
        #expect(store.port(of: "web") == 82)
        store.remove(file: "a.yaml")
        #expect(store.port(of: "web") == 81)
        #expect(store.diagnostics().isEmpty)
    }

    @Test func snapshotStreamYieldsCurrentThenChanges() async throws {
        let store = ConfigStore()
        store.load("a.yaml", serviceYAML("web"))
        var iterator = store.snapshots().makeAsyncIterator()
        let first = try #require(await iterator.next())
        #expect(first.version == store.snapshot().version)
        store.load("a.yaml", serviceYAML("web"))  // same content: no new snapshot
        store.load("a.yaml", serviceYAML("web", port: 81))
        let second = try #require(await iterator.next())
        #expect(second.version != first.version)
        #expect(second.servicesByHostname["web.default.svc.cluster.local"]?.ports.first?.port == 81)
    }
}
