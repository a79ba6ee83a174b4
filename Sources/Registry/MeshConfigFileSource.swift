import Foundation
public import Logging
import MeshModel
public import ServiceLifecycle
import Synchronization

/// Reads Istio's mesh config from a file (`meshd serve --mesh-config`) into a `ConfigStore`, and watches it.
///
/// The file is polled (its content, not only its modification time, so a ConfigMap mount's symlink swap is seen):
/// a changed text is decoded; a clean mesh config is applied (a new snapshot and a push), one with errors is logged
/// and the last good one stays in force. A file that cannot be read keeps the last good mesh config as well.
public struct MeshConfigFileSource: Service {
    public let path: String
    public let store: ConfigStore
    public let pollInterval: Duration
    let logger: Logger
    /// The last text decoded, so an unchanged file costs one read per poll.
    let lastText = LastText()

    public init(path: String, store: ConfigStore, pollInterval: Duration = .seconds(1), logger: Logger) {
        self.path = path
        self.store = store
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Why the mesh config file could not be used at start.
    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads and applies the file once. Throws when it cannot be read or has errors (meshd refuses to start on a
    /// bad mesh config rather than run on defaults the operator did not ask for).
    public func loadOnce() throws(LoadError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "\(path): cannot read file")
        }
        let text = String(decoding: data, as: UTF8.self)
        let result = MeshConfigDecoder.decode(yaml: text, file: path)
        lastText.state.withLock { $0 = text }
        store.apply(meshConfig: result)
        if result.config == nil {
            throw LoadError(description: result.errors.map(\.description).joined(separator: "\n"))
        }
    }

    /// Applies the file if its text changed since the last read. Returns whether a new text was decoded.
    @discardableResult
    public func poll() -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else {
            // Once per outage, not once per poll.
            if lastText.unreadable.withLock({ state in
                defer { state = true }
                return !state
            }) {
                logger.warning("mesh config \(path) cannot be read; the last good mesh config stays in force")
            }
            return false
        }
        lastText.unreadable.withLock { $0 = false }
        let text = String(decoding: data, as: UTF8.self)
        let changed = lastText.state.withLock { last -> Bool in
            guard last != text else { return false }
            last = text
            return true
        }
        guard changed else { return false }
        let result = MeshConfigDecoder.decode(yaml: text, file: path)
        if store.apply(meshConfig: result) {
            logger.info("mesh config \(path) applied")
        } else {
            logger.error("mesh config \(path) refused; the last good mesh config stays in force")
        }
        return true
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: pollInterval)
                } catch {
                    return
                }
                poll()
            }
        }
    }
}

/// The text a `MeshConfigFileSource` decoded last. Thread-safe.
final class LastText: Sendable {
    let state = Mutex<String?>(nil)
    /// Whether the last poll could not read the file.
    let unreadable = Mutex(false)
}
