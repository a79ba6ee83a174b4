import ArgumentParser
import Foundation

/// `meshd proxy-status`: what every connected proxy was sent, and whether it accepted it, in the manner of
/// `istioctl proxy-status`. With a proxy name, that proxy's detail. With `--etcd-endpoints` (or `--kubeconfig`),
/// every replica registered on etcd (or in Leases on the API server) is asked and the answers are merged, each row naming the replica serving the proxy.
struct ProxyStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy-status",
        abstract: "Show the xDS sync state of every connected proxy, or one proxy's detail.",
        discussion: """
            Each type is SYNCED (the last response was ACKed), STALE (sent, not yet ACKed; with its age), \
            NACKED (rejected; with the first line of Envoy's error) or NOT SENT. VERSION is the version of the \
            meshd serving the proxy. Reads /debug/syncz, /debug/connections, /version and, for one proxy, \
            /debug/nacks. With --etcd-endpoints, asks every replica registered under <prefix>/_replicas/ \
            (its admin address as it registered it; --token goes to each) instead of --admin, and adds a REPLICA \
            column. With --kubeconfig, the same over the replicas' registry Leases (meshd-replica-<id>, label \
            meshd.io/role=replica, in --meshd-namespace), skipping those not renewed within their duration. \
            A replica that does not answer is reported on stderr and the others are still shown.
            """)

    @OptionGroup var adminOptions: AdminOptions

    @OptionGroup(title: "Replicas on etcd")
    var etcdOptions: EtcdOptions

    @OptionGroup(title: "Replicas on Kubernetes")
    var kubernetesOptions: KubernetesReplicaOptions

    @Argument(help: "A proxy's node id, pod.namespace, or pod name; omit for the table of all proxies.")
    var proxy: String?

    func run() async throws {
        do {
            let sources: [ProxyStatusSource]
            if let connection = try etcdOptions.connection() {
                sources = try await ProxyStatusSource.replicas(
                    connection: connection, layout: etcdOptions.layout, token: adminOptions.resolvedToken)
            } else if let connection = try kubernetesOptions.connection() {
                sources = try await ProxyStatusSource.replicas(
                    kubernetes: connection, namespace: kubernetesOptions.namespace, token: adminOptions.resolvedToken)
            } else {
                sources = [ProxyStatusSource(client: try adminOptions.client(), replica: nil)]
            }
            var entries: [(entry: ProxyStatusEntry, client: AdminClient)] = []
            var answered = 0
            var failures: [String] = []
            for source in sources {
                do {
                    entries += try await source.entries().map { ($0, source.client) }
                    answered += 1
                } catch let error as AdminClientError where source.replica != nil {
                    failures.append("replica \(source.replica ?? "?"): \(error)")
                }
            }
            for failure in failures {
                FileHandle.standardError.write(Data("meshd proxy-status: \(failure)\n".utf8))
            }
            if answered == 0, !failures.isEmpty {
                throw AdminClientError(description: "no replica answered")
            }
            entries.sort { ($0.entry.name, $0.entry.replica ?? "") < ($1.entry.name, $1.entry.replica ?? "") }
            let version = entries.first?.entry.replicaVersion ?? "-"
            guard let proxy else {
                print(ProxyStatusFormat.table(entries.map(\.entry), version: version), terminator: "")
                return
            }
            guard let entry = ProxyStatusFormat.find(proxy, in: entries.map(\.entry)),
                let client = entries.first(where: {
                    $0.entry.sync.connectionID == entry.sync.connectionID
                        && $0.entry.replica == entry.replica
                })?.client
            else {
                let known = entries.map(\.entry.name).joined(separator: ", ")
                throw AdminClientError(
                    description: "no connected proxy \"\(proxy)\"; connected: \(known.isEmpty ? "none" : known)")
            }
            let nacks = try await client.get("/debug/nacks", as: [AdminJSON.NackExplanation].self)
            print(ProxyStatusFormat.detail(entry, nacks: nacks, version: version), terminator: "")
        } catch let error as AdminClientError {
            FileHandle.standardError.write(Data("meshd proxy-status: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
