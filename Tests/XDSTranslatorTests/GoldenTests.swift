// Golden files for the translator: each folder under Golden/ holds `input.yaml` (the mesh, as kubectl YAML)
// and `proxy.json` (the proxy's node id, metadata and labels) next to the expected Envoy resources as proto3
// JSON: `clusters.json`, `listeners.json`, `routes.json` and `endpoints.json`. A proxy with an `identity` in
// `proxy.json` has authenticated (mutual TLS is on for it); with `secrets` it also gets `secrets.json` (SDS).
// An optional `security.json` holds AuthorizationPolicies, RequestAuthentications, the mesh config and fetched
// JWKS (see `SecurityFixture`).
//
// To regenerate the expected files after an intended change, run
//     MESHD_UPDATE_GOLDEN=1 swift test --filter XDSTranslatorTests
// then review the diff by eye (git diff Tests/XDSTranslatorTests/Golden) before committing it.
//
// The files are read from the source tree (via #filePath), not from the bundle copy, so an edit is seen at
// once and regeneration writes where git sees it.

import Foundation
import MeshModel
import MeshTestSupport
import Testing
import XDSTranslator

/// One folder under Golden/.
struct GoldenCase: CustomTestStringConvertible, Sendable {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let updating = ProcessInfo.processInfo.environment["MESHD_UPDATE_GOLDEN"] == "1"

    /// The expected file of each type URL.
    static let outputs: [(file: String, typeURL: String)] = [
        ("clusters.json", TypeURL.cluster),
        ("endpoints.json", TypeURL.endpoint),
        ("listeners.json", TypeURL.listener),
        ("routes.json", TypeURL.route),
    ]

    static var all: [GoldenCase] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().map(GoldenCase.init).filter {
            FileManager.default.fileExists(atPath: $0.folder.appendingPathComponent("input.yaml").path)
        }
    }

    let name: String
    var testDescription: String { name }
    var folder: URL { Self.directory.appendingPathComponent(name) }

    /// `proxy.json`: `{"id": "sidecar~...", "metadata": {...}, "labels": {...}}`.
    struct ProxyFile: Decodable {
        var id: String
        var metadata: [String: String]?
        var labels: [String: String]?
        /// `{"namespace": ..., "serviceAccount": ...}`: the identity the proxy authenticated as.
        var identity: IdentityFile?
        var secrets: SecretsFile?
    }

    struct IdentityFile: Decodable {
        var namespace: String
        var serviceAccount: String
    }

    struct SecretsFile: Decodable {
        var certificateChainPEM: String?
        var privateKeyPEM: String?
        var trustBundlePEM: String?
    }

    /// The expected files of this case: the four xDS types, plus SDS when the proxy has secrets.
    func outputs() throws -> [(file: String, typeURL: String)] {
        let proxyData = try Data(contentsOf: folder.appendingPathComponent("proxy.json"))
        let proxy = try JSONDecoder().decode(ProxyFile.self, from: proxyData)
        return Self.outputs + (proxy.secrets == nil ? [] : [("secrets.json", TypeURL.secret)])
    }

    func fixture() throws -> MeshFixture {
        let yaml = try String(contentsOf: folder.appendingPathComponent("input.yaml"), encoding: .utf8)
        let proxyData = try Data(contentsOf: folder.appendingPathComponent("proxy.json"))
        let proxy = try JSONDecoder().decode(ProxyFile.self, from: proxyData)
        let securityURL = folder.appendingPathComponent("security.json")
        let security = try FileManager.default.fileExists(atPath: securityURL.path)
            ? SecurityFixture.decode(Data(contentsOf: securityURL)) : nil
        return try MeshFixture(
            yaml: yaml, file: "\(name)/input.yaml", nodeID: proxy.id, metadata: proxy.metadata ?? [:],
            labels: proxy.labels ?? [:],
            identity: proxy.identity.map { WorkloadIdentity(namespace: $0.namespace, serviceAccount: $0.serviceAccount) },
            secrets: proxy.secrets.map {
                ProxySecrets(
                    certificateChainPEM: $0.certificateChainPEM, privateKeyPEM: $0.privateKeyPEM,
                    trustBundlePEM: $0.trustBundlePEM)
            }, security: security)
    }
}

@Suite("Golden files")
struct GoldenTests {
    @Test("every golden case is present")
    func casesExist() {
        #expect(GoldenCase.all.count >= 4, "expected at least four cases under \(GoldenCase.directory.path)")
    }

    @Test("translator output matches the golden files", arguments: GoldenCase.all)
    func matchesGolden(_ golden: GoldenCase) throws {
        let fixture = try golden.fixture()
        for (file, typeURL) in try golden.outputs() {
            let actual = try ProtoJSON.render(fixture.messages(typeURL))
            let url = golden.folder.appendingPathComponent(file)
            if GoldenCase.updating {
                try actual.write(to: url, atomically: true, encoding: .utf8)
                continue
            }
            guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
                Issue.record("\(golden.name)/\(file) is missing; run with MESHD_UPDATE_GOLDEN=1 to create it")
                continue
            }
            #expect(
                actual == expected, "\(golden.name)/\(file) differs; if intended, regenerate with MESHD_UPDATE_GOLDEN=1"
            )
        }
    }

    @Test("output is identical on every run", arguments: GoldenCase.all)
    func deterministic(_ golden: GoldenCase) throws {
        let fixture = try golden.fixture()
        for (_, typeURL) in try golden.outputs() {
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
