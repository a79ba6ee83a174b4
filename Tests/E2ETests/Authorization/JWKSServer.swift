import Foundation
import MeshTestSupport

/// A JSON Web Key Set served over plain HTTP from the root namespace's 127.0.0.1, where meshd (not the pods)
/// fetches `jwksUri` and inlines the keys it gets, as istiod does by default.
///
/// The server is Python's `http.server` over a directory in the network's scratch space, on a port that was
/// free a moment ago; it belongs to the network and stops at teardown. Every GET is logged, so a test can
/// tell whether meshd fetched the keys. Thread-safe (the files are replaced atomically).
struct JWKSServer: Sendable {
    let process: ManagedProcess
    let directory: URL
    let port: Int

    /// `http://127.0.0.1:<port>/<file>`: what a RequestAuthentication's `jwksUri` names.
    func uri(_ file: String = "jwks.json") -> String { "http://127.0.0.1:\(port)/\(file)" }

    /// Starts the server with `files` (name → content) and waits (bounded) until it answers.
    static func start(in network: MeshNetwork, files: [String: String]) async throws -> JWKSServer {
        let directory = network.scratchDirectory.appendingPathComponent("jwks")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, content) in files {
            try content.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let port = try MeshdProcess.freeLocalPort()
        let process = try ManagedProcess.start(
            name: "JWKS server",
            argv: [
                AuthzScripts.python, "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", directory.path,
                "\(port)",
            ],
            logFile: network.outputDirectory.appendingPathComponent("jwks-server.log"))
        network.track(process)
        let server = JWKSServer(process: process, directory: directory, port: port)
        _ = try await Poll.until("the JWKS server on 127.0.0.1:\(port)", timeout: .seconds(10)) { () -> Bool? in
            try process.checkRunning()
            return try HTTPProbe.get("http://127.0.0.1:\(port)/", timeout: 2).status == 200 ? true : nil
        }
        return server
    }

    /// Replaces one served file.
    func write(_ name: String, _ content: String) throws {
        try content.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// How many times `file` was requested so far (from the server's request log).
    func fetches(of file: String = "jwks.json") -> Int {
        guard let data = FileManager.default.contents(atPath: process.logFile.path) else { return 0 }
        return String(decoding: data, as: UTF8.self).components(separatedBy: "\"GET /\(file) ").count - 1
    }
}

/// The interpreter the embedded Python workloads of these tests run with: the project's venv, else python3.
enum AuthzScripts {
    static var python: String {
        FileManager.default.isExecutableFile(atPath: RepositoryPaths.venvPython)
            ? RepositoryPaths.venvPython : "python3"
    }

    /// Writes `source` to `<scratch>/<name>` (readable by every uid) and returns its path.
    static func install(_ source: String, named name: String, in network: MeshNetwork) throws -> String {
        let url = network.scratchDirectory.appendingPathComponent(name)
        try source.write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
        return url.path
    }
}
