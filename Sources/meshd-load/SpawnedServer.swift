import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A server process meshd-load started itself (meshd, or its own replay server), stopped with SIGTERM
/// (then SIGKILL after a bounded wait) when the run ends. Its output goes to a log file.
final class SpawnedServer: @unchecked Sendable {
    let process: Process
    let logPath: String
    var pid: Int32 { process.processIdentifier }

    init(executable: String, arguments: [String], logPath: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        self.logPath = logPath
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// Polls (every 50 ms, at most `timeout`) until `ready` is true; throws with the log's tail if the process
    /// exits or the time runs out.
    func waitUntil(_ what: String, timeout: Duration, _ ready: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if ready() { return }
            guard process.isRunning else { throw LoadError("\(what): the server exited (\(tail()))") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw LoadError("\(what): not within \(timeout) (\(tail()))")
    }

    func stop() {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        for _ in 0..<100 where process.isRunning { usleep(50_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    func tail() -> String {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return "no log" }
        return "log \(logPath): " + text.split(separator: "\n").suffix(5).joined(separator: " | ")
    }
}

/// A run that cannot go on, with the reason a user can act on.
struct LoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
