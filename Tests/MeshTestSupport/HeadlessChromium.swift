public import Foundation

/// Debian's Chromium, headless, for tests that look at a page the way a person's browser renders it.
///
/// Runs as root in tests, which Chromium only allows with `--no-sandbox`. Each call uses a throwaway
/// profile directory so runs do not share state.
public struct HeadlessChromium: Sendable {
    public let executable: String

    /// Chromium from Debian's `chromium` package; a `HarnessError` saying to run Scripts/test when it is missing.
    public static func require() throws -> HeadlessChromium {
        for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return HeadlessChromium(executable: candidate)
        }
        throw HarnessError(
            "headless Chromium is missing (/usr/bin/chromium): run Scripts/test, which installs Debian's `chromium` package"
        )
    }

    /// The DOM after the page at `url` loaded, serialised (`--dump-dom`).
    public func dumpDOM(_ url: String, profile: URL) throws -> String {
        let result = try run(["--dump-dom", url], profile: profile)
        guard result.succeeded, result.stdout.contains("<html") else {
            throw HarnessError("chromium --dump-dom \(url) exited \(result.status): \(result.stderr.suffix(600))")
        }
        return result.stdout
    }

    /// A PNG of the page at `url` in a `width`×`height` window, written to `file`.
    public func screenshot(_ url: String, to file: URL, width: Int = 1400, height: Int = 1000, profile: URL) throws {
        try? FileManager.default.removeItem(at: file)
        let result = try run(
            ["--hide-scrollbars", "--window-size=\(width),\(height)", "--screenshot=\(file.path)", url],
            profile: profile)
        guard result.succeeded, FileManager.default.fileExists(atPath: file.path) else {
            throw HarnessError("chromium --screenshot \(url) exited \(result.status): \(result.stderr.suffix(600))")
        }
    }

    private func run(_ arguments: [String], profile: URL) throws -> SubprocessResult {
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let argv =
            [
                executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--user-data-dir=\(profile.path)",
            ] + arguments
        return try Subprocess.run(argv, timeout: .seconds(90))
    }
}
