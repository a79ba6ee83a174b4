import ArgumentParser
import Foundation

/// `meshd proxy-status`: what every connected proxy was sent, and whether it accepted it, in the manner of
/// `istioctl proxy-status`. With a proxy name, that proxy's detail.
struct ProxyStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy-status",
        abstract: "Show the xDS sync state of every connected proxy, or one proxy's detail.",
        discussion: """
            Each type is SYNCED (the last response was ACKed), STALE (sent, not yet ACKed; with its age), \
            NACKED (rejected; with the first line of Envoy's error) or NOT SENT. VERSION is the version of the \
            meshd serving the proxy. Reads /debug/syncz, /debug/connections, /version and, for one proxy, \
            /debug/nacks.
            """)

    @OptionGroup var adminOptions: AdminOptions

    @Argument(help: "A proxy's node id, pod.namespace, or pod name; omit for the table of all proxies.")
    var proxy: String?

    func run() async throws {
        do {
            let client = try adminOptions.client()
            async let syncs = client.get("/debug/syncz", as: [AdminJSON.Sync].self)
            async let connections = client.get("/debug/connections", as: [AdminJSON.Connection].self)
            async let version = client.get("/version", as: AdminJSON.Version.self)
            let entries = ProxyStatusEntry.join(try await syncs, try await connections)
            let meshdVersion = try await version.version
            guard let proxy else {
                print(ProxyStatusFormat.table(entries, version: meshdVersion), terminator: "")
                return
            }
            guard let entry = ProxyStatusFormat.find(proxy, in: entries) else {
                let known = entries.map(\.name).joined(separator: ", ")
                throw AdminClientError(
                    description: "no connected proxy \"\(proxy)\"; connected: \(known.isEmpty ? "none" : known)")
            }
            let nacks = try await client.get("/debug/nacks", as: [AdminJSON.NackExplanation].self)
            print(ProxyStatusFormat.detail(entry, nacks: nacks, version: meshdVersion), terminator: "")
        } catch let error as AdminClientError {
            FileHandle.standardError.write(Data("meshd proxy-status: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
