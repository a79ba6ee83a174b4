public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A long-running child of the test (an Envoy, a backend, meshd) whose stdout and stderr go to a log file.
///
/// Thread-safe: `stop` may be called from any thread, any number of times.
public final class ManagedProcess: @unchecked Sendable {
    public let name: String
    public let logFile: URL
    /// The child's process id. `ip netns exec` and `setpriv` replace themselves with their command, so for
    /// an Envoy started in a pod this is Envoy's own pid.
    public let pid: Int32
    private let process: Process
    private let log: FileHandle

    private init(name: String, logFile: URL, process: Process, log: FileHandle) {
        self.name = name
        self.logFile = logFile
        self.process = process
        self.log = log
        self.pid = process.processIdentifier
    }

    /// Starts `argv` (an absolute path or a name looked up on PATH) with its output appended to `logFile`.
    public static func start(name: String, argv: [String], logFile: URL) throws -> ManagedProcess {
        guard !argv.isEmpty else { throw HarnessError("empty command for \(name)") }
        let process = Process()
        // The test runner blocks SIGTERM and other signals in its threads, and a spawned child inherits that
        // mask: it would never see SIGTERM. `env --default-signal` unblocks every signal and restores default
        // dispositions before it execs the command (and finds it on PATH).
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["--default-signal"] + argv
        process.standardInput = FileHandle.nullDevice
        _ = FileManager.default.createFile(
            atPath: logFile.path, contents: Data("$ \(argv.joined(separator: " "))\n".utf8))
        let log = try FileHandle(forWritingTo: logFile)
        try log.seekToEnd()
        process.standardOutput = log
        process.standardError = log
        do {
            try process.run()
        } catch {
            try? log.close()
            throw HarnessError("cannot start \(name) (\(argv.joined(separator: " "))): \(error)")
        }
        return ManagedProcess(name: name, logFile: logFile, process: process, log: log)
    }

    public var isRunning: Bool { process.isRunning }

    /// How a process ended.
    public enum Termination: Equatable, Sendable {
        case exited(Int32)
        case signaled(Int32)
    }

    /// How the process ended, or nil while it runs.
    public var termination: Termination? {
        guard !process.isRunning else { return nil }
        let status = process.terminationStatus
        return process.terminationReason == .exit ? .exited(status) : .signaled(status)
    }

    /// Throws with the end of the log if the process has already exited: a child that dies during start-up
    /// should fail the test with its own words, not with a timeout further down.
    public func checkRunning() throws {
        guard !process.isRunning else { return }
        throw HarnessError(
            "\(name) exited with status \(process.terminationStatus); log \(logFile.path) ends with:\n\(logTail())")
    }

    /// SIGKILL at once, with no SIGTERM first (a crash, as far as the process can tell), and waits until it is gone.
    public func killAbruptly() {
        guard process.isRunning else { return }
        kill(pid, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        try? log.synchronize()
    }

    /// Sends SIGTERM, waits up to `grace`, then SIGKILLs. Idempotent.
    public func stop(grace: Duration = .seconds(5)) {
        if process.isRunning {
            kill(pid, SIGTERM)
            let deadline = ContinuousClock.now + grace
            while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning {
                kill(pid, SIGKILL)
                let killDeadline = ContinuousClock.now + .seconds(5)
                while process.isRunning && ContinuousClock.now < killDeadline { Thread.sleep(forTimeInterval: 0.02) }
            }
        }
        try? log.synchronize()
    }

    /// The last `maxBytes` of the log, for failure messages.
    public func logTail(maxBytes: Int = 3000) -> String {
        guard let data = FileManager.default.contents(atPath: logFile.path) else { return "(no log)" }
        return String(decoding: data.suffix(maxBytes), as: UTF8.self)
    }

    /// Stops every process in `processes` at once: all get SIGTERM first, so their grace periods overlap.
    public static func stopAll(_ processes: [ManagedProcess], grace: Duration = .seconds(5)) {
        for process in processes where process.isRunning { kill(process.pid, SIGTERM) }
        for process in processes { process.stop(grace: grace) }
    }
}
