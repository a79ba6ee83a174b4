public import Foundation

/// Pre-serialised xDS responses and which proxy gets which: the input of the replay server.
///
/// On disk: `index.json` (node id → type URL → blob key) and `blobs/<key>.pb`, each a serialised
/// `DiscoveryResponse` without a nonce. Distinct contents are stored once.
public struct ReplayRecording: Sendable {
    public var index: [String: [String: String]] = [:]
    public var blobs: [String: [UInt8]] = [:]

    public init() {}

    public func write(to directory: URL) throws {
        let blobDirectory = directory.appendingPathComponent("blobs")
        try FileManager.default.createDirectory(at: blobDirectory, withIntermediateDirectories: true)
        for (key, bytes) in blobs {
            try Data(bytes).write(to: blobDirectory.appendingPathComponent("\(key).pb"))
        }
        try JSONEncoder().encode(index).write(to: directory.appendingPathComponent("index.json"))
    }

    /// Reads a recording; throws `ReplayError` naming the file that is missing or malformed.
    public static func read(from directory: URL) throws -> ReplayRecording {
        var recording = ReplayRecording()
        let indexURL = directory.appendingPathComponent("index.json")
        guard let data = try? Data(contentsOf: indexURL),
            let index = try? JSONDecoder().decode([String: [String: String]].self, from: data)
        else { throw ReplayError("\(indexURL.path): missing or not a JSON object of node → type URL → blob") }
        recording.index = index
        for key in Set(index.values.flatMap(\.values)) {
            let url = directory.appendingPathComponent("blobs/\(key).pb")
            guard let bytes = try? Data(contentsOf: url) else { throw ReplayError("\(url.path): missing") }
            recording.blobs[key] = Array(bytes)
        }
        return recording
    }
}

/// A recording or replay problem, naming the file or request.
public struct ReplayError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
