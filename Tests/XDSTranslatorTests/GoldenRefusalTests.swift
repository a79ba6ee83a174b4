// Negative golden cases: an edit that meshd must refuse. A refusal case (`GoldenRefusalCase`) names a mesh case as
// its base; the base's `input.yaml` is loaded into a ConfigStore, then `edit.yaml` is saved over it. The edit's errors
// must be exactly `errors.json` (each naming the object, the field path and the reason), and the edit must change
// nothing that is served: the snapshot version stays, and every proxy of the base case is still given exactly its
// golden files. Regenerate `errors.json` like any golden file: MESHD_UPDATE_GOLDEN=<refusal case>.

import Foundation
import Logging
import MeshModel
import MeshTestSupport
import Registry
import Testing
import XDSTranslator

/// One error of a refused edit, as `errors.json` lists it.
struct RefusedError: Codable, Equatable {
    var file: String
    var line: Int?
    var object: String?
    var fieldPath: String
    var reason: String

    init(_ diagnostic: ConfigDiagnostic) {
        file = diagnostic.file
        line = diagnostic.line
        object = diagnostic.object?.description
        fieldPath = diagnostic.fieldPath
        reason = diagnostic.reason
    }

    static func render(_ errors: [RefusedError]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(errors), as: UTF8.self) + "\n"
    }
}

@Suite("Golden refusals")
struct GoldenRefusalTests {
    static let translator = XDSTranslator()

    @Test("there are refusal cases, each on an existing mesh case")
    func casesExist() throws {
        #expect(GoldenCorpus.refusalCases.count >= 3, "expected refusal cases under \(GoldenCorpus.directory.path)")
        for refusal in GoldenCorpus.refusalCases {
            #expect(throws: Never.self, "\(refusal.name)") { _ = try refusal.base() }
        }
    }

    @Test(
        "a refused edit reports the expected errors and changes nothing that is served",
        arguments: GoldenCorpus.refusalCases)
    func refusedEdit(_ refusal: GoldenRefusalCase) throws {
        let base = try refusal.base()
        let edit = ConfigDecoder.decode(yaml: try refusal.editYAML(), file: base.inputFile)
        let why = try refusal.file().why
        #expect(!edit.errors.isEmpty, "\(refusal.name): the edit is accepted (\(why))")
        for error in edit.errors {
            #expect(
                error.object != nil && !error.fieldPath.isEmpty && !error.reason.isEmpty && error.line != nil,
                "\(refusal.name): the error does not name the object, the field path, the line and the reason: \(error)"
            )
        }
        let errors = edit.errors.map(RefusedError.init)
        try GoldenFile.check(
            RefusedError.render(errors), against: refusal.folder.appendingPathComponent("errors.json"),
            label: "\(refusal.name)/errors.json", caseName: refusal.name)

        // The store: the base mesh, then the edit saved over the same file.
        let store = ConfigStore(logger: Logger(label: "golden", factory: { _ in SwiftLogNoOpLogHandler() }))
        store.apply(file: base.inputFile, result: try base.decoded())
        #expect(store.diagnostics().filter(\.isError).isEmpty, "\(base.name) does not load cleanly")
        let before = try Self.snapshot(of: store, security: base.security())
        store.apply(file: base.inputFile, result: edit)
        let after = try Self.snapshot(of: store, security: base.security())
        #expect(after.version == before.version, "\(refusal.name): the refused edit changed the snapshot version")
        #expect(
            store.diagnostics().filter(\.isError).map(RefusedError.init) == errors,
            "\(refusal.name): the store reports other errors than the decoder")

        // Every proxy of the base case is given what it was given before, which is its golden files.
        let golden = GoldenCase(name: base.name)
        for proxy in try base.proxies() {
            let model = try proxy.proxy()
            let secrets = proxy.file.secrets.map {
                ProxySecrets(
                    certificateChainPEM: $0.certificateChainPEM, privateKeyPEM: $0.privateKeyPEM,
                    trustBundlePEM: $0.trustBundlePEM)
            }
            for (file, typeURL) in GoldenCase.outputs(of: proxy) {
                let served = try ProtoJSON.render(
                    Self.translator.generateMessages(typeURL: typeURL, snapshot: after, proxy: model, secrets: secrets))
                let expected = try String(contentsOf: proxy.outputFolder.appendingPathComponent(file), encoding: .utf8)
                if let message = GoldenFile.mismatch(
                    expected: expected, actual: served,
                    label: "\(golden.name)/\(proxy.name)/\(file) after \(refusal.name)",
                    caseName: golden.name)
                {
                    Issue.record(Comment(rawValue: "the refused edit changed what is served: " + message))
                }
            }
        }
    }

    static func snapshot(of store: ConfigStore, security: SecurityFixture?) -> MeshSnapshot {
        var snapshot = store.snapshot()
        security?.apply(to: &snapshot)
        return snapshot
    }
}
