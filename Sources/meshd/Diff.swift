import ArgumentParser
import Foundation

/// `meshd diff`: a dry run. Sends YAML to a running meshd (`POST /debug/diff`), which says, for every connected
/// proxy, which xDS resources would be added, removed or changed if it were applied. Nothing is applied.
struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what applying YAML would change on every connected proxy, without applying it.",
        discussion: """
            Objects in the input replace the running objects with the same Kind/namespace/name and add new ones; \
            a deletion cannot be expressed (an object left out of the input stays). Input with errors is refused: \
            each error is printed as file:line: Kind/ns/name: field.path: reason and the exit status is 1. \
            Secrets (SDS) are never compared or shown.
            """)

    @OptionGroup var adminOptions: AdminOptions

    @Argument(help: "A YAML file, or a directory read recursively (*.yaml, *.yml).")
    var path: String

    @Flag(name: .long, help: "Print only the counts per proxy.")
    var summary = false

    func run() async throws {
        do {
            let files = try DiffInput.read(path)
            let client = try adminOptions.client()
            let body = try JSONEncoder().encode(files)
            let reply = try await client.post("/debug/diff" + (summary ? "?summary=true" : ""), json: body)
            guard reply.status == 200 || reply.status == 422 else { throw client.failure("/debug/diff", reply) }
            let answer = try client.decode(DiffAnswer.self, from: reply, path: "/debug/diff")
            print(DiffFormat.render(answer, summary: summary), terminator: "")
            if !answer.errors.isEmpty { throw ExitCode(1) }
        } catch let error as AdminClientError {
            FileHandle.standardError.write(Data("meshd diff: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// One input file as the admin endpoint takes it.
struct DiffInputFile: Codable, Sendable {
    var file: String
    var content: String
}

/// Reads the files `meshd diff` sends.
enum DiffInput {
    /// `path` itself, or every `*.yaml`/`*.yml` below it (hidden entries skipped), sorted. Paths stay as the
    /// user wrote them, so errors point where the user looks.
    static func read(_ path: String) throws -> [DiffInputFile] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AdminClientError(description: "\(path): no such file or directory")
        }
        var paths = [path]
        if isDirectory.boolValue {
            let enumerator = FileManager.default.enumerator(atPath: path)
            paths = []
            while let relative = enumerator?.nextObject() as? String {
                if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
                guard relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") else { continue }
                paths.append((path as NSString).appendingPathComponent(relative))
            }
            paths.sort()
            guard !paths.isEmpty else { throw AdminClientError(description: "\(path): no *.yaml or *.yml files") }
        }
        return try paths.map { file in
            do {
                return DiffInputFile(file: file, content: try String(contentsOfFile: file, encoding: .utf8))
            } catch {
                throw AdminClientError(description: "\(file): cannot read: \(error.localizedDescription)")
            }
        }
    }
}
