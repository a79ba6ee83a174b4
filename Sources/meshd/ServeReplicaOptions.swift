import ArgumentParser
import Foundation
import MeshdApp
import Registry

#if canImport(Glibc)
    import Glibc
#endif

/// `meshd serve` options of the replica set on etcd or Kubernetes: this replica's id, the lease that bounds its
/// leadership, and what it advertises in the registry.
struct ServeReplicaOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "This replica's id (etcd: registry key <prefix>/_replicas/<id> and leader key value; Kubernetes: Lease meshd-replica-<id> and the leader Lease's holderIdentity); letters, digits, . - _. Default: <hostname>-<pid>."
    )
    var replicaId: String?

    @Option(
        name: .long,
        help:
            "TTL of the etcd lease, or leaseDurationSeconds of the Kubernetes Leases, that holds this replica's registry entry and, when it leads, the leadership: a dead leader is replaced within it (at least 2s)."
    )
    var leaderLeaseTtl: String = "10s"

    @Option(
        name: .long,
        help:
            "How often the leader writes changed config status (etcd: under <prefix>/_status/; Kubernetes: the status of each Istio object)."
    )
    var statusInterval: String = "1s"

    @Option(
        name: .long,
        help:
            "The admin URL this replica registers for `meshd proxy-status --etcd-endpoints` or `--kubeconfig` (default: http://<admin address>)."
    )
    var advertiseAdmin: String?

    @Flag(
        name: .long, inversion: .prefixedNo,
        help:
            "With a Kubernetes source (and no etcd): join the replica set on the API server (registry and leader Leases, the status duty, the shared CA Secret istio-ca-secret)."
    )
    var kubernetesReplicaSet = true

    @Option(
        name: .long,
        help:
            "The namespace meshd runs in, where its Leases and istio-ca-secret live (default: $POD_NAMESPACE, else istio-system)."
    )
    var meshdNamespace: String?

    @Flag(
        name: .long, inversion: .prefixedNo,
        help:
            "With the Kubernetes replica set: the leader writes each Istio object's status (Reconciled, Ready, validationMessages, meshd.io/Accepted), as istiod does with PILOT_ENABLE_STATUS. Off by default, as in istiod."
    )
    var configStatus = false

    @Flag(
        name: .long, inversion: .prefixedNo,
        help:
            "With the Kubernetes replica set and a CA: the leader writes the ConfigMap istio-ca-root-cert (key root-cert.pem, the CA's trust bundle) into every namespace, as istiod does."
    )
    var rootCertConfigmaps = true

    @Option(
        name: .long,
        help:
            "With the Kubernetes replica set and a CA: the MutatingWebhookConfiguration whose webhooks the leader gives the CA bundle (caBundle); \"\" patches none."
    )
    var injectorWebhookConfig: String = "istio-sidecar-injector"

    @Option(
        name: .long,
        help:
            "With the Kubernetes replica set and a CA: the ValidatingWebhookConfiguration whose webhooks the leader gives the CA bundle and failurePolicy (Ignore until meshd's webhook server is ready, then Fail); \"\" patches none. Default: istio-validator-<meshd namespace>."
    )
    var validatorWebhookConfig: String?

    /// The webhook configurations to patch, for the meshd namespace `namespace`; a validation error names the flag
    /// whose value is not an object name.
    func webhookConfigurations(namespace: String) throws -> KubernetesWebhookPatchDuty.Configurations {
        let validator = validatorWebhookConfig ?? "istio-validator-\(namespace)"
        for (flag, name) in [
            ("--injector-webhook-config", injectorWebhookConfig), ("--validator-webhook-config", validator),
        ]
        where !name.isEmpty && !Self.validObjectName(name) {
            throw ValidationError(
                "\(flag): \"\(name)\" is not an object name (lower-case letters, digits, '-' and '.', at most 253)")
        }
        return KubernetesWebhookPatchDuty.Configurations(injector: injectorWebhookConfig, validator: validator)
    }

    /// A DNS-1123 subdomain, as the names of most objects are.
    static func validObjectName(_ name: String) -> Bool {
        guard !name.isEmpty, name.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { validNamespace(String($0)) }
    }

    /// The meshd namespace: the flag, else `POD_NAMESPACE` (set from the downward API), else `istio-system`.
    func namespace() throws -> String {
        let namespace =
            meshdNamespace ?? ProcessInfo.processInfo.environment["POD_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "istio-system"
        guard Self.validNamespace(namespace) else {
            throw ValidationError(
                "--meshd-namespace: \"\(namespace)\" is not a namespace name (lower-case letters, digits and '-', at most 63)"
            )
        }
        return namespace
    }

    /// A DNS-1123 label, as namespace names are.
    static func validNamespace(_ name: String) -> Bool {
        guard !name.isEmpty, name.count <= 63, name.first != "-", name.last != "-" else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// The replica settings, or a validation error naming the flag.
    func replica() throws -> MeshdOptions.Replica {
        let id = replicaId ?? Self.defaultID()
        guard ReplicaRecord.validID(id) else {
            throw ValidationError("--replica-id: \"\(id)\" must be 1 to 128 letters, digits, '.', '-' or '_'")
        }
        var replica = MeshdOptions.Replica(id: id)
        let ttl = try ServePushOptions.duration(leaderLeaseTtl, flag: "--leader-lease-ttl")
        guard ttl >= .seconds(2), ttl.components.attoseconds == 0 else {
            throw ValidationError("--leader-lease-ttl: a whole number of seconds, at least 2s (etcd's minimum lease)")
        }
        replica.service.leaseTTL = ttl
        replica.statusInterval = try ServePushOptions.duration(statusInterval, flag: "--status-interval")
        guard replica.statusInterval > .zero else { throw ValidationError("--status-interval must be above 0") }
        if let advertiseAdmin {
            guard let url = URL(string: advertiseAdmin), ["http", "https"].contains(url.scheme ?? ""), url.host != nil
            else { throw ValidationError("--advertise-admin: expected http(s)://HOST:PORT, got \"\(advertiseAdmin)\"") }
            replica.advertisedAdmin = advertiseAdmin
        }
        return replica
    }

    /// `<hostname>-<pid>`, with characters an id may not hold replaced by `-`.
    static func defaultID() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let name = gethostname(&buffer, buffer.count) == 0 ? String(cString: buffer) : "meshd"
        let host = name.map { character -> Character in
            character.isLetter || character.isNumber || character == "." || character == "-" || character == "_"
                ? character : "-"
        }
        return "\(String(host.prefix(100)))-\(ProcessInfo.processInfo.processIdentifier)"
    }
}
