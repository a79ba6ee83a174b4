import Foundation

extension Subprocess {
    /// Runs `argv` exactly like `run(_:environment:currentDirectory:timeout:)`, but on a thread of its own, so
    /// that a command lasting seconds (a burst of client requests, say) does not hold one of the few threads
    /// of Swift's cooperative pool while other suites run in parallel.
    public static func runInBackground(
        _ argv: [String], timeout: Duration = .seconds(120)
    ) async throws -> SubprocessResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Subprocess.run(argv, timeout: timeout) })
            }
        }
    }

    /// Runs `argv` and returns its standard output, or throws with the command's stderr if it failed.
    @discardableResult
    static func check(_ argv: [String], timeout: Duration = .seconds(30)) throws -> String {
        let result = try run(argv, timeout: timeout)
        guard result.succeeded else {
            throw HarnessError(
                "`\(argv.joined(separator: " "))` exited with \(result.status): "
                    + "\(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.stdout
    }
}
