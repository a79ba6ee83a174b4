public import Foundation

/// What a finished child process left behind.
public struct SubprocessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var succeeded: Bool { status == 0 }
}

/// Errors from running a child process.
public struct SubprocessError: Error, CustomStringConvertible {
    public var description: String
}

/// Runs short-lived commands for tests. Each call is bounded by a timeout; a child still running then is killed.
public enum Subprocess {
    /// `run` on a thread of its own, so that waiting for the command holds none of Swift's cooperative threads
    /// (two on this machine): for commands that talk to a server running in the same test process.
    public static func runDetached(
        _ argv: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(120)
    ) async throws -> SubprocessResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try run(argv, environment: environment, timeout: timeout) })
            }
        }
    }

    /// Runs `argv` to completion and captures its output. Throws if it cannot start or exceeds `timeout`.
    public static func run(
        _ argv: [String], environment: [String: String]? = nil, currentDirectory: URL? = nil,
        timeout: Duration = .seconds(120)
    ) throws -> SubprocessResult {
        guard let executable = argv.first else { throw SubprocessError(description: "empty command") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? Array(argv.dropFirst()) : argv
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-sp-\(UUID().uuidString).out")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-sp-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                // SIGKILL, not SIGTERM: children of the test runner inherit its blocked SIGTERM.
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                throw SubprocessError(description: "timed out after \(timeout): \(argv.joined(separator: " "))")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        try? outHandle.close()
        try? errHandle.close()
        let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return SubprocessResult(status: process.terminationStatus, stdout: out, stderr: err)
    }
}

/// Paths inside the repository, found from this file's location so tests work from any working directory.
public enum RepositoryPaths {
    /// The repository root (the folder holding Package.swift).
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/MeshTestSupport/Subprocess.swift
        return url
    }()

    /// The project's Python virtual environment, created by Scripts/test.
    public static var venv: URL { root.appendingPathComponent(".venv") }
    public static var venvPython: String { venv.appendingPathComponent("bin/python").path }
    public static var envoy: String { venv.appendingPathComponent("bin/envoy").path }
}
