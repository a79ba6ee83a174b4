// Golden files for the translator. The folders under Golden/ are read by `GoldenCorpus` (MeshTestSupport), which
// documents the layout:
// - a mesh case holds `input.yaml` (the mesh, as kubectl YAML) and `proxy.json` (the proxy's node id, metadata and
//   labels) next to the expected Envoy resources as proto3 JSON: `clusters.json`, `listeners.json`, `routes.json`
//   and `endpoints.json`; a case of several proxies holds `proxies/<name>.json` instead, and each proxy's expected
//   files in `<name>/`. A proxy with an `identity` has authenticated (mutual TLS is on for it); with `secrets` it also
//   gets `secrets.json` (SDS). An optional `security.json` holds AuthorizationPolicies, RequestAuthentications, the
//   mesh config and fetched JWKS (see `SecurityFixture`);
// - a refusal case (GoldenRefusalTests) holds an edit of another case's input that must be refused.
//
// A mismatch is reported as a unified diff of the expected file against the output. To regenerate the expected
// files after an intended change, run
//     MESHD_UPDATE_GOLDEN=1 swift test --filter XDSTranslatorTests.Golden        # every case
//     MESHD_UPDATE_GOLDEN=vs-match,dr-tls swift test --filter XDSTranslatorTests.Golden   # only these cases
// then review the diff by eye (git diff Tests/XDSTranslatorTests/Golden) before committing it.
//
// The files are read from the source tree (via #filePath), not from the bundle copy, so an edit is seen at
// once and regeneration writes where git sees it.

import Foundation
import MeshModel
import MeshTestSupport
import Testing
import XDSTranslator

/// One mesh case under Golden/, with the translator's fixtures for its proxies.
struct GoldenCase: CustomTestStringConvertible, Sendable {
    static var directory: URL { GoldenCorpus.directory }

    /// The expected file of each type URL.
    static let outputs: [(file: String, typeURL: String)] = [
        ("clusters.json", TypeURL.cluster),
        ("endpoints.json", TypeURL.endpoint),
        ("listeners.json", TypeURL.listener),
        ("routes.json", TypeURL.route),
    ]

    static var all: [GoldenCase] { GoldenCorpus.meshCases.map { GoldenCase(name: $0.name) } }

    let name: String
    var testDescription: String { name }
    var folder: URL { Self.directory.appendingPathComponent(name) }
    var corpusCase: GoldenMeshCase { GoldenMeshCase(name: name) }

    /// The expected files of one proxy: the four xDS types, plus SDS when the proxy has secrets.
    static func outputs(of proxy: GoldenProxy) -> [(file: String, typeURL: String)] {
        outputs + (proxy.file.secrets == nil ? [] : [("secrets.json", TypeURL.secret)])
    }

    /// The expected files of the case's first proxy (its only one, for a case with `proxy.json`).
    func outputs() throws -> [(file: String, typeURL: String)] {
        guard let first = try corpusCase.proxies().first else { throw HarnessError("\(name) has no proxy") }
        return Self.outputs(of: first)
    }

    /// The fixture of the case's first proxy (its only one, for a case with `proxy.json`).
    func fixture() throws -> MeshFixture {
        guard let first = try fixtures().first else { throw HarnessError("\(name) has no proxy") }
        return first.fixture
    }

    /// A fixture for each proxy of the case.
    func fixtures() throws -> [(proxy: GoldenProxy, fixture: MeshFixture)] {
        let mesh = corpusCase
        let yaml = try mesh.inputYAML()
        let security = try mesh.security()
        return try mesh.proxies().map { proxy in
            let file = proxy.file
            let fixture = try MeshFixture(
                yaml: yaml, file: mesh.inputFile, nodeID: file.id, metadata: file.metadata ?? [:],
                labels: file.labels ?? [:],
                identity: file.identity.map {
                    WorkloadIdentity(namespace: $0.namespace, serviceAccount: $0.serviceAccount)
                },
                secrets: file.secrets.map {
                    ProxySecrets(
                        certificateChainPEM: $0.certificateChainPEM, privateKeyPEM: $0.privateKeyPEM,
                        trustBundlePEM: $0.trustBundlePEM)
                }, security: security)
            return (proxy, fixture)
        }
    }
}

/// Compares generated text with a checked-in expected file, or rewrites the file when its case is being regenerated.
enum GoldenFile {
    /// The failure message for `actual` against the file at `url`, or nil when they are equal. `label` names the file
    /// for the reader (`<case>/<proxy>/routes.json`).
    static func mismatch(expected: String, actual: String, label: String, caseName: String) -> String? {
        guard expected != actual else { return nil }
        let diff = UnifiedDiff.of(
            expected: expected, actual: actual, expectedName: "\(label) (expected)", actualName: "\(label) (generated)")
        return "\(label) differs from the golden file; if intended, regenerate it with "
            + "MESHD_UPDATE_GOLDEN=\(caseName) swift test --filter XDSTranslatorTests.Golden\n\(diff)"
    }

    /// Records an issue with a unified diff when `actual` differs from the file at `url`; writes the file instead when
    /// `MESHD_UPDATE_GOLDEN` selects `caseName`.
    static func check(
        _ actual: String, against url: URL, label: String, caseName: String,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws {
        if GoldenCorpus.updates(caseName) {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record(
                "\(label) is missing; create it with MESHD_UPDATE_GOLDEN=\(caseName) swift test --filter XDSTranslatorTests.Golden",
                sourceLocation: sourceLocation)
            return
        }
        if let message = mismatch(expected: expected, actual: actual, label: label, caseName: caseName) {
            Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
        }
    }
}

@Suite("Golden files")
struct GoldenTests {
    @Test("every golden case is present")
    func casesExist() throws {
        #expect(GoldenCase.all.count >= 4, "expected at least four cases under \(GoldenCase.directory.path)")
        #expect(
            try GoldenCase.all.contains { try $0.corpusCase.proxies().count > 1 },
            "expected at least one case of several proxies (proxies/<name>.json)")
        #expect(
            GoldenCorpus.unknownUpdateNames.isEmpty,
            "MESHD_UPDATE_GOLDEN names no case: \(GoldenCorpus.unknownUpdateNames); cases are the folder names under \(GoldenCase.directory.path)"
        )
    }

    @Test("translator output matches the golden files", arguments: GoldenCase.all)
    func matchesGolden(_ golden: GoldenCase) throws {
        for (proxy, fixture) in try golden.fixtures() {
            let prefix = proxy.outputFolder == golden.folder ? golden.name : "\(golden.name)/\(proxy.name)"
            for (file, typeURL) in GoldenCase.outputs(of: proxy) {
                try GoldenFile.check(
                    ProtoJSON.render(fixture.messages(typeURL)),
                    against: proxy.outputFolder.appendingPathComponent(file),
                    label: "\(prefix)/\(file)", caseName: golden.name)
            }
        }
    }

    @Test("output is identical on every run", arguments: GoldenCase.all)
    func deterministic(_ golden: GoldenCase) throws {
        for (proxy, fixture) in try golden.fixtures() {
            for (_, typeURL) in GoldenCase.outputs(of: proxy) {
                let first = fixture.translator.generate(
                    typeURL: typeURL, snapshot: fixture.snapshot, proxy: fixture.proxy, secrets: fixture.secrets)
                let second = fixture.translator.generate(
                    typeURL: typeURL, snapshot: fixture.snapshot, proxy: fixture.proxy, secrets: fixture.secrets)
                #expect(first == second)
                #expect(first.map(\.name) == first.map(\.name).sorted())
                #expect(first.allSatisfy { $0.resource.typeURL == typeURL })
            }
        }
    }

    /// The proxies of one mesh are not copies of each other: each folder of a case of several proxies holds what that
    /// proxy alone is given, so at least two of them differ.
    @Test(
        "the proxies of a case of several proxies get different config",
        arguments: GoldenCase.all.filter {
            ((try? $0.corpusCase.proxies().count) ?? 0) > 1
        })
    func severalProxiesDiffer(_ golden: GoldenCase) throws {
        var renderings: Set<String> = []
        let fixtures = try golden.fixtures()
        for (proxy, fixture) in fixtures {
            renderings.insert(
                try GoldenCase.outputs(of: proxy).map { try ProtoJSON.render(fixture.messages($0.typeURL)) }.joined())
        }
        #expect(
            renderings.count == fixtures.count,
            "\(golden.name): two proxies get identical config; one of them adds nothing")
    }
}
