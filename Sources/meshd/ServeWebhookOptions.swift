import ArgumentParser
import Discovery
import Foundation
import Injection
import MeshdApp

/// `meshd serve`'s webhook options: istiod's port 15017 with sidecar injection and config validation.
struct ServeWebhookOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "Where the HTTPS admission webhooks (/inject, /validate) listen: HOST:PORT, such as 0.0.0.0:15017 (istiod's port); empty (the default) runs none. Needs the CA."
    )
    var webhookAddress: String = ""

    @Option(
        name: .long,
        help:
            "The injection webhook's config YAML: policy, alwaysInjectSelector, neverInjectSelector, injectedAnnotations, and a meshd section (images, meshdAddress, nativeSidecar); see Docs/kubernetes.md."
    )
    var injectorConfig: String?

    @Option(
        name: .long, parsing: .singleValue,
        help: "A DNS name of the webhook's serving certificate (default: istiod.istio-system.svc and its .cluster.local form); repeat for more.")
    var webhookDnsName: [String] = []

    /// The webhook options, nil when disabled; a validation error names the flag.
    func options(hasCA: Bool) throws -> MeshdOptions.Webhook? {
        guard !webhookAddress.isEmpty else {
            if injectorConfig != nil { throw ValidationError("--injector-config needs --webhook-address") }
            return nil
        }
        guard let address = ListenAddress(webhookAddress), case .tcp(let host, let port) = address else {
            throw ValidationError("--webhook-address: expected HOST:PORT, got \"\(webhookAddress)\"")
        }
        guard hasCA else {
            throw ValidationError("--webhook-address: the webhooks serve a certificate from meshd's CA, which is disabled")
        }
        var webhook = MeshdOptions.Webhook(host: host, port: port)
        if !webhookDnsName.isEmpty { webhook.dnsNames = webhookDnsName }
        if let injectorConfig {
            guard let data = FileManager.default.contents(atPath: injectorConfig) else {
                throw ValidationError("--injector-config: \(injectorConfig): cannot read file")
            }
            do {
                webhook.injector = try InjectorConfig(yaml: String(decoding: data, as: UTF8.self), file: injectorConfig)
            } catch {
                throw ValidationError("--injector-config: \(error)")
            }
        }
        return webhook
    }
}
