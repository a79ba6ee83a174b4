import ArgumentParser
import Foundation
import Registry

/// The flags with which `meshd proxy-status` finds the replica set on Kubernetes: the kubeconfig (and context) of
/// the API server, and the namespace whose registry Leases it reads.
struct KubernetesReplicaOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Ask every replica registered on this kubeconfig's API server (Leases meshd-replica-<id>).")
    var kubeconfig: String?

    @Option(name: .long, help: "The kubeconfig context to use (default: current-context).")
    var context: String?

    @Option(
        name: .long,
        help:
            "The namespace meshd runs in, where its registry Leases live (default: $POD_NAMESPACE, else istio-system).")
    var meshdNamespace: String?

    /// The connection, or nil without `--kubeconfig`. Throws a `ValidationError` naming the flag.
    func connection() throws -> KubernetesConnection? {
        guard let kubeconfig else {
            if context != nil { throw ValidationError("--context needs --kubeconfig") }
            return nil
        }
        do {
            return try Kubeconfig.load(path: kubeconfig, context: context)
        } catch let error as KubernetesError {
            throw ValidationError("--kubeconfig: \(error.description)")
        }
    }

    var namespace: String {
        meshdNamespace ?? ProcessInfo.processInfo.environment["POD_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "istio-system"
    }
}
