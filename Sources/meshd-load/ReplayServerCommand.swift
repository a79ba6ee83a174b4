import ArgumentParser
import Foundation
import MeshdReplay

/// `meshd-load replay-server`: the floor. Serves a recording made with `run --record` over the same gRPC
/// transport as meshd, so meshd's time can be compared with the transport's alone.
struct ReplayServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-server", abstract: "Serve recorded, pre-serialised xDS responses (the benchmark floor).")

    @Option(help: "Directory written by `meshd-load run --record`.")
    var recording: String

    @Option(help: "Port on 127.0.0.1.")
    var port = 15090

    func run() async throws {
        FileLimit.raiseToHard()
        let loaded = try ReplayRecording.read(from: URL(fileURLWithPath: recording))
        try await ReplayServer.serve(recording: loaded, host: "127.0.0.1", port: port) { bound in
            print(
                "replay server listening on 127.0.0.1:\(bound) with \(loaded.index.count) proxies, \(loaded.blobs.count) responses"
            )
            fflush(nil)
        }
    }
}
