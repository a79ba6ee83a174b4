import Foundation
public import Logging

/// The leader's duty of keeping Istio's admission webhook configurations pointed at meshd's root, as istiod does:
/// `clientConfig.caBundle` (the root bundle PEM, base64) in every webhook of the MutatingWebhookConfiguration
/// `istio-sidecar-injector` and of the ValidatingWebhookConfiguration `istio-validator-<namespace>`
/// (`admissionregistration.k8s.io/v1`, cluster-scoped).
///
/// The validating configuration also gets `failurePolicy`: `Ignore` until meshd's webhook server is ready (the
/// injected `isWebhookReady`), then `Fail`, so that a control plane that cannot answer yet never blocks Istio config
/// writes. Once it has seen the server ready, a leader keeps `Fail` for as long as it leads; a new leader starts
/// from `Ignore` again until its own server is ready, as istiod does.
///
/// It watches the two configurations by name (one informer each) and every `interval` compares them with what it
/// wants; one that differs is read and replaced, conditional on the resourceVersion read (a 409 is looked at again
/// next round). Every write goes through the fence. A configuration that does not exist is not an error: meshd may be
/// installed without it; it is patched as soon as it appears. A failover rewrites nothing that is right.
public struct KubernetesWebhookPatchDuty: KubernetesLeaderDuty {
    public static let dutyName = "webhook-ca-bundle"

    /// Which configurations to patch; an empty name patches none of that kind.
    public struct Configurations: Sendable, Hashable {
        public var injector: String
        public var validator: String

        /// istiod's names: `istio-sidecar-injector`, and `istio-validator-<namespace>` for the control plane's
        /// namespace.
        public init(namespace: String = "istio-system") {
            self.injector = "istio-sidecar-injector"
            self.validator = "istio-validator-\(namespace)"
        }

        public init(injector: String, validator: String) {
            self.injector = injector
            self.validator = validator
        }
    }

    public var name: String { Self.dutyName }

    public let configurations: Configurations
    let rootBundle: @Sendable () -> String
    let isWebhookReady: @Sendable () -> Bool
    let interval: Duration
    let informers: KubernetesSource.Options
    let logger: Logger

    /// - Parameters:
    ///   - rootBundle: the PEM the API server must trust for meshd's webhooks (`CertificateAuthority.trustBundlePEM`),
    ///     read every `interval`; empty patches nothing.
    ///   - isWebhookReady: whether meshd's webhook server answers; the validating webhooks fail closed only then.
    public init(
        configurations: Configurations, rootBundle: @escaping @Sendable () -> String,
        isWebhookReady: @escaping @Sendable () -> Bool, interval: Duration = .seconds(1),
        informers: KubernetesSource.Options = KubernetesSource.Options(), logger: Logger
    ) {
        self.configurations = configurations
        self.rootBundle = rootBundle
        self.isWebhookReady = isWebhookReady
        self.interval = interval
        self.informers = informers
        self.logger = logger
    }

    /// One configuration to patch: its kind, name and whether its failure policy is managed.
    struct Target: Sendable {
        var kind: KubernetesKind
        var name: String
        var managesFailurePolicy: Bool

        var path: String { "\(kind.collectionPath)/\(name)" }
        var description: String { "\(kind.kind) \(name)" }
    }

    static func kind(_ kind: String, _ resource: String, name: String) -> KubernetesKind {
        KubernetesKind(
            group: "admissionregistration.k8s.io", version: "v1", kind: kind, resource: resource,
            isCustomResource: false, isModelled: false, fieldSelector: "metadata.name=\(name)")
    }

    var targets: [Target] {
        var targets: [Target] = []
        if !configurations.injector.isEmpty {
            targets.append(
                Target(
                    kind: Self.kind(
                        "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", name: configurations.injector),
                    name: configurations.injector, managesFailurePolicy: false))
        }
        if !configurations.validator.isEmpty {
            targets.append(
                Target(
                    kind: Self.kind(
                        "ValidatingWebhookConfiguration", "validatingwebhookconfigurations",
                        name: configurations.validator),
                    name: configurations.validator, managesFailurePolicy: true))
        }
        return targets
    }

    public func run(_ fence: KubernetesLeaderFence) async throws {
        let targets = targets
        guard !targets.isEmpty else { return }
        let cache = KubernetesWatchCache(kinds: targets.map(\.kind))
        try await cache.whileWatching(fence.client, options: informers, logger: logger) {
            var ready = false
            var reportedMissing: Set<String> = []
            var backoff = Backoff(initial: interval, maximum: .seconds(30))
            while !Task.isCancelled {
                let bundle = rootBundle()
                if !ready, isWebhookReady() {
                    ready = true
                    logger.info("the webhook server is ready: validating webhooks fail closed from now on")
                }
                var failure: String?
                if cache.isSynced, !bundle.isEmpty {
                    let caBundle = Data(bundle.utf8).base64EncodedString()
                    for target in targets {
                        let policy = target.managesFailurePolicy ? (ready ? "Fail" : "Ignore") : nil
                        guard let cached = cache.objects(target.kind)[target.name] else {
                            if reportedMissing.insert(target.name).inserted {
                                logger.debug("\(target.description) does not exist; patching it once it does")
                            }
                            continue
                        }
                        reportedMissing.remove(target.name)
                        if Self.isPatched(cached.json, caBundle: caBundle, failurePolicy: policy) { continue }
                        do {
                            if let written = try await patch(
                                target, caBundle: caBundle, failurePolicy: policy, fence: fence)
                            {
                                cache.remember(written, kind: target.kind)
                                logger.info(
                                    "patched \(target.description)",
                                    metadata: ["failurePolicy": "\(policy ?? "unmanaged")"])
                            }
                        } catch let error as KubernetesLeaderFence.Deposed {
                            throw error
                        } catch {
                            if Task.isCancelled { throw CancellationError() }
                            failure = failure ?? "\(target.description): \(error)"
                        }
                    }
                }
                if let failure {
                    logger.warning("could not patch a webhook configuration: \(failure); retrying")
                    try await Task.sleep(for: backoff.next())
                } else {
                    backoff.reset()
                    try await Task.sleep(for: interval)
                }
            }
        }
    }

    /// Reads the configuration and replaces it with every webhook patched, unless it already is. Returns what the
    /// server stored (or holds, when nothing needed writing); nil when the configuration is gone or changed meanwhile
    /// (looked at again next round).
    func patch(
        _ target: Target, caBundle: String, failurePolicy: String?, fence: KubernetesLeaderFence
    ) async throws -> KubernetesObject? {
        let read = try await fence.read(target.path)
        if read.status == 404 { return nil }
        try KubernetesClient.check(status: read.status, body: read.body, path: target.path)
        guard let object = (try? JSONSerialization.jsonObject(with: read.body)) as? [String: Any] else {
            throw KubernetesError.malformed("\(target.path): not a JSON object")
        }
        let current = try KubernetesObject(json: object, kind: target.kind)
        if Self.isPatched(current.json, caBundle: caBundle, failurePolicy: failurePolicy) { return current }
        let patched = try Self.patched(object, caBundle: caBundle, failurePolicy: failurePolicy, path: target.path)
        let body = try JSONSerialization.data(withJSONObject: patched, options: [.sortedKeys])
        let answer = try await fence.write(.put, target.path, json: body)
        if answer.status == 409 || answer.status == 404 { return nil }
        try KubernetesClient.check(status: answer.status, body: answer.body, path: target.path)
        guard let stored = try? JSONSerialization.jsonObject(with: answer.body) else {
            throw KubernetesError.malformed("\(target.path): the answer is not JSON")
        }
        return try KubernetesObject(json: stored, kind: target.kind)
    }

    /// `object` with `clientConfig.caBundle` (and `failurePolicy`, when managed) set in every webhook. Throws when
    /// `webhooks` is not a list of objects.
    static func patched(
        _ object: [String: Any], caBundle: String, failurePolicy: String?, path: String
    ) throws -> [String: Any] {
        var object = object
        guard let webhooks = object["webhooks"] as? [[String: Any]] ?? (object["webhooks"] == nil ? [] : nil) else {
            throw KubernetesError.malformed("\(path): webhooks is not a list of objects")
        }
        object["webhooks"] = webhooks.map { webhook -> [String: Any] in
            var webhook = webhook
            var clientConfig = webhook["clientConfig"] as? [String: Any] ?? [:]
            clientConfig["caBundle"] = caBundle
            webhook["clientConfig"] = clientConfig
            if let failurePolicy { webhook["failurePolicy"] = failurePolicy }
            return webhook
        }
        return object
    }

    /// Whether every webhook in a configuration's JSON has `caBundle` (and `failurePolicy`, when given).
    static func isPatched(_ json: String, caBundle: String, failurePolicy: String?) -> Bool {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else {
            return false
        }
        let webhooks = object["webhooks"] as? [[String: Any]] ?? []
        return webhooks.allSatisfy { webhook in
            let clientConfig = webhook["clientConfig"] as? [String: Any]
            return clientConfig?["caBundle"] as? String == caBundle
                && (failurePolicy == nil || webhook["failurePolicy"] as? String == failurePolicy)
        }
    }
}
