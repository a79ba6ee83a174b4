public import Foundation
public import MeshModel

/// The golden cases under `Tests/XDSTranslatorTests/Golden`, read the same way by every test that uses them (the
/// translator's golden tests, the Envoy constraint check, the served-through-cache property test).
///
/// A folder is one of:
/// - a **mesh case**: `input.yaml` (the mesh as kubectl YAML), an optional `security.json` (`SecurityFixture`), and
///   either `proxy.json` (one proxy; its expected files sit beside it) or `proxies/<name>.json` (several proxies of
///   one mesh; the expected files of each sit in `<name>/`);
/// - a **refusal case**: `refusal.json` (`{"base": <mesh case>, "file": ..., "why": ...}`), `edit.yaml` (an edit
///   of the base case's `input.yaml` that must be refused) and `errors.json` (the expected errors).
///
/// Regeneration: `MESHD_UPDATE_GOLDEN=1` rewrites every case's expected files; `MESHD_UPDATE_GOLDEN=a,b` only the
/// cases named `a` and `b` (see `GoldenCorpus.updates(_:)`).
public enum GoldenCorpus {
    public static let directory = RepositoryPaths.root.appendingPathComponent("Tests/XDSTranslatorTests/Golden")

    /// The value of `MESHD_UPDATE_GOLDEN`: unset (compare), `1` (update every case) or comma-separated case names.
    public static var updateSetting: String? {
        ProcessInfo.processInfo.environment["MESHD_UPDATE_GOLDEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether the expected files of the case `name` are rewritten by this run instead of compared.
    public static func updates(_ name: String) -> Bool {
        updates(name, setting: updateSetting)
    }

    /// Whether `setting` (a value of `MESHD_UPDATE_GOLDEN`) selects the case `name`.
    public static func updates(_ name: String, setting: String?) -> Bool {
        guard let setting else { return false }
        if setting == "1" { return true }
        return setting.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.contains(name)
    }

    /// Names in `MESHD_UPDATE_GOLDEN` that are no case at all (a typo would otherwise regenerate nothing, quietly).
    public static var unknownUpdateNames: [String] {
        guard let setting = updateSetting, setting != "1" else { return [] }
        let known = Set(folderNames)
        return setting.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !known.contains($0)
        }
    }

    static var folderNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") }
            .sorted()
    }

    /// Every mesh case, sorted by name.
    public static var meshCases: [GoldenMeshCase] {
        folderNames.map(GoldenMeshCase.init).filter {
            FileManager.default.fileExists(atPath: $0.folder.appendingPathComponent("input.yaml").path)
        }
    }

    /// Every refusal case, sorted by name.
    public static var refusalCases: [GoldenRefusalCase] {
        folderNames.map(GoldenRefusalCase.init).filter {
            FileManager.default.fileExists(atPath: $0.folder.appendingPathComponent("refusal.json").path)
        }
    }

    /// The mesh case called `name`.
    public static func meshCase(_ name: String) throws -> GoldenMeshCase {
        let found = GoldenMeshCase(name: name)
        guard FileManager.default.fileExists(atPath: found.folder.appendingPathComponent("input.yaml").path) else {
            throw HarnessError("no golden mesh case \(name) (no \(found.folder.path)/input.yaml)")
        }
        return found
    }
}

/// One proxy of a golden mesh case, as `proxy.json` or `proxies/<name>.json` describes it.
public struct GoldenProxy: Sendable {
    /// The proxy's name within its case (`proxy` for a case with a single `proxy.json`).
    public let name: String
    /// Where its expected files live.
    public let outputFolder: URL
    public let file: File

    /// `{"id": "sidecar~...", "metadata": {...}, "labels": {...}, "identity": {...}, "secrets": {...}}`.
    public struct File: Decodable, Sendable {
        public var id: String
        public var metadata: [String: String]?
        public var labels: [String: String]?
        /// `{"namespace": ..., "serviceAccount": ...}`: the identity the proxy authenticated as.
        public var identity: Identity?
        /// Key material passed to the translator for SDS; with it, the case also expects `secrets.json`.
        public var secrets: Secrets?
    }

    public struct Identity: Decodable, Sendable {
        public var namespace: String
        public var serviceAccount: String
    }

    public struct Secrets: Decodable, Sendable {
        public var certificateChainPEM: String?
        public var privateKeyPEM: String?
        public var trustBundlePEM: String?
    }

    /// The proxy as meshd's model holds it after authentication (with `identity` as its workload identity).
    public func proxy() throws -> Proxy {
        var proxy = try Proxy(nodeID: file.id, metadata: file.metadata ?? [:], labels: file.labels ?? [:])
        proxy.workloadIdentity = file.identity.map {
            WorkloadIdentity(namespace: $0.namespace, serviceAccount: $0.serviceAccount)
        }
        return proxy
    }
}

/// A folder holding a mesh (`input.yaml`) and one or several proxies with their expected Envoy resources.
public struct GoldenMeshCase: Sendable, CustomStringConvertible {
    public let name: String
    public var description: String { name }
    public var folder: URL { GoldenCorpus.directory.appendingPathComponent(name) }
    /// The file name the decoder is given, so that diagnostics read `<case>/input.yaml:<line>`.
    public var inputFile: String { "\(name)/input.yaml" }

    public init(name: String) {
        self.name = name
    }

    public func inputYAML() throws -> String {
        try String(contentsOf: folder.appendingPathComponent("input.yaml"), encoding: .utf8)
    }

    /// `security.json`, when the case has one.
    public func security() throws -> SecurityFixture? {
        let url = folder.appendingPathComponent("security.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try SecurityFixture.decode(Data(contentsOf: url))
    }

    /// The proxies of the case: `proxy.json` alone, or every `proxies/<name>.json` sorted by name.
    public func proxies() throws -> [GoldenProxy] {
        let single = folder.appendingPathComponent("proxy.json")
        if FileManager.default.fileExists(atPath: single.path) {
            return [try Self.proxy(named: "proxy", at: single, output: folder)]
        }
        let directory = folder.appendingPathComponent("proxies")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        guard !names.isEmpty else { throw HarnessError("\(name): neither proxy.json nor proxies/*.json") }
        return try names.map {
            let proxyName = String($0.dropLast(".json".count))
            return try Self.proxy(
                named: proxyName, at: directory.appendingPathComponent($0),
                output: folder.appendingPathComponent(proxyName))
        }
    }

    private static func proxy(named name: String, at url: URL, output: URL) throws -> GoldenProxy {
        GoldenProxy(
            name: name, outputFolder: output,
            file: try JSONDecoder().decode(GoldenProxy.File.self, from: Data(contentsOf: url)))
    }

    /// The decoded objects and their diagnostics.
    public func decoded() throws -> DecodeResult {
        ConfigDecoder.decode(yaml: try inputYAML(), file: inputFile)
    }

    /// The snapshot of the mesh with the case's security fixture applied. Throws when the input has errors: a mesh
    /// case is valid input by definition (refusals are refusal cases).
    public func snapshot() throws -> MeshSnapshot {
        let decoded = try decoded()
        guard decoded.errors.isEmpty else {
            throw HarnessError("\(name)/input.yaml has errors: \(decoded.errors.map(\.description))")
        }
        var snapshot = MeshSnapshot.build(from: decoded.objects)
        try security()?.apply(to: &snapshot)
        return snapshot
    }
}

/// A folder holding an edit that must be refused: the base case's mesh is loaded, `edit.yaml` is saved over its
/// `input.yaml`, and the edit's errors must be exactly `errors.json` while nothing that is served changes.
public struct GoldenRefusalCase: Sendable, CustomStringConvertible {
    public let name: String
    public var description: String { name }
    public var folder: URL { GoldenCorpus.directory.appendingPathComponent(name) }

    public init(name: String) {
        self.name = name
    }

    /// `refusal.json`.
    public struct File: Decodable, Sendable {
        /// The mesh case whose `input.yaml` the edit replaces.
        public var base: String
        /// Why the edit must be refused, in words (for the reader of the case).
        public var why: String
    }

    public func file() throws -> File {
        try JSONDecoder().decode(File.self, from: Data(contentsOf: folder.appendingPathComponent("refusal.json")))
    }

    public func base() throws -> GoldenMeshCase {
        try GoldenCorpus.meshCase(try file().base)
    }

    public func editYAML() throws -> String {
        try String(contentsOf: folder.appendingPathComponent("edit.yaml"), encoding: .utf8)
    }
}
