import Foundation
import MeshModel
public import Yams

/// Adds the sidecar to one pod template (a Pod, or a workload's `spec.template`): metadata, the init container,
/// the Envoy container and the volumes, shaped by the pod's Istio annotations (`PodAnnotations`). The one piece of
/// code behind both `meshd inject` and the injection webhook.
public struct PodTemplateInjection: Sendable {
    /// Why a pod template cannot be injected.
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// What injection made: the pod template, and what the annotations held that meshd does not use.
    public struct Injected {
        public var pod: Node
        public var warnings: [String]
    }

    public var settings: InjectSettings

    public init(settings: InjectSettings) {
        self.settings = settings
    }

    /// Istio's annotation on injected pods, JSON naming what was added; a pod carrying it is not injected again.
    public static let statusAnnotation = "sidecar.istio.io/status"

    /// The injected template; nil when the template opts out (`sidecar.istio.io/inject: "false"`) or is already
    /// injected (it carries `sidecar.istio.io/status`), so injecting twice changes nothing.
    public func inject(_ template: Node, namespace: String? = nil) throws -> Injected? {
        var pod = template
        let metadata = pod["metadata"]
        if Self.optsOut(metadata) { return nil }
        let annotations = Self.stringMap(metadata?["annotations"])
        if annotations[Self.statusAnnotation] != nil { return nil }
        guard var spec = pod["spec"], spec.mapping != nil else { throw Refusal(description: "the pod spec is missing") }
        guard let containers = spec["containers"]?.sequence, let firstContainer = containers.first else {
            throw Refusal(description: "the pod spec has no containers")
        }
        let initContainers = spec["initContainers"]?.sequence.map(Array.init) ?? []
        let existingNames = (Array(containers) + initContainers).compactMap { $0["name"]?.string }
        for reserved in [InjectSettings.proxyContainerName, InjectSettings.initContainerName]
        where existingNames.contains(reserved) {
            throw Refusal(description: "already has a container named \(reserved), but no \(Self.statusAnnotation) annotation")
        }
        if spec["hostNetwork"]?.bool == true {
            throw Refusal(
                description:
                    "hostNetwork pods share the node's network; a redirect there would capture the node's traffic")
        }
        let options: PodAnnotations
        do {
            options = try PodAnnotations(annotations)
        } catch {
            throw Refusal(description: error.description)
        }

        let labels = Self.stringMap(metadata?["labels"])
        let workloadNamespace = metadata?["namespace"]?.string ?? namespace ?? settings.namespace
        var proxy = settings.mesh.proxySettings(namespace: workloadNamespace, labels: labels)
        if let concurrency = options.concurrency { proxy.concurrency = concurrency }
        if let reserved = proxy.environmentVariables.keys.sorted().first(
            where: InjectSettings.reservedEnvironment.contains)
        {
            throw Refusal(
                description:
                    "a ProxyConfig sets the environment variable \(reserved), which meshd's sidecar sets itself")
        }
        let sidecarOptions = SidecarOptions(
            annotations: options, proxy: proxy, nativeSidecar: settings.nativeSidecar)
        var warnings = options.warnings
        let grace = spec["terminationGracePeriodSeconds"]?.int ?? 30
        if sidecarOptions.terminationDrainSeconds >= grace {
            warnings.append(
                "terminationDrainDuration (\(sidecarOptions.terminationDrainSeconds)s) is not shorter than the pod's "
                    + "terminationGracePeriodSeconds (\(grace)s): the kubelet kills the sidecar before it has drained")
        }
        let template = try InjectBootstrap.template(
            labels: labels, namespace: workloadNamespace, settings: settings, proxy: proxy)
        let sidecar = InjectContainers.sidecar(
            bootstrapTemplate: template, settings: settings, proxy: proxy, options: sidecarOptions)
        var newInit = [InjectContainers.initContainer(settings: settings, interception: options.interception)]
        if settings.nativeSidecar { newInit.append(sidecar) }
        spec["initContainers"] = .sequence(.init(newInit + initContainers))
        if !settings.nativeSidecar {
            // Holding the application: the sidecar goes first, and its postStart hook holds the next container.
            spec["containers"] = .sequence(
                .init(sidecarOptions.holdApplication ? [sidecar] + Array(containers) : Array(containers) + [sidecar]))
        }
        let volumes = spec["volumes"]?.sequence.map(Array.init) ?? []
        let addedVolumes = InjectContainers.volumes(settings: settings)
        spec["volumes"] = .sequence(.init(volumes + addedVolumes))
        pod["spec"] = spec

        var newMetadata = metadata ?? Node([(Node, Node)]())
        var newAnnotations = newMetadata["annotations"] ?? Node([(Node, Node)]())
        newAnnotations[Self.statusAnnotation] = .quoted(
            Self.status(
                initContainers: newInit.compactMap { $0["name"]?.string },
                containers: settings.nativeSidecar ? [] : [InjectSettings.proxyContainerName],
                volumes: addedVolumes.compactMap { $0["name"]?.string }))
        if newAnnotations["kubectl.kubernetes.io/default-container"] == nil, let app = firstContainer["name"]?.string {
            newAnnotations["kubectl.kubernetes.io/default-container"] = .string(app)
        }
        newMetadata["annotations"] = newAnnotations
        var newLabels = newMetadata["labels"] ?? Node([(Node, Node)]())
        // Istio's marker for "this endpoint has a sidecar and speaks mesh mTLS".
        newLabels["security.istio.io/tlsMode"] = .string("istio")
        newMetadata["labels"] = newLabels
        pod["metadata"] = newMetadata
        return Injected(pod: pod, warnings: warnings)
    }

    /// The status annotation's JSON, in Istio's shape.
    static func status(initContainers: [String], containers: [String], volumes: [String]) -> String {
        let value: JSONValue = .object([
            "initContainers": .array(initContainers.map(JSONValue.string)),
            "containers": .array(containers.map(JSONValue.string)),
            "volumes": .array(volumes.map(JSONValue.string)),
            "imagePullSecrets": .null,
            "revision": .string("default"),
        ])
        return (try? value.encoded()).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// `sidecar.istio.io/inject: "false"` as a label or an annotation, Istio's opt-out.
    static func optsOut(_ metadata: Node?) -> Bool {
        for field in ["labels", "annotations"] {
            if let value = metadata?[field]?["sidecar.istio.io/inject"]?.string, value.lowercased() == "false" {
                return true
            }
        }
        return false
    }

    public static func stringMap(_ node: Node?) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in node?.mapping ?? [:] {
            if let key = key.string, let value = value.string { result[key] = value }
        }
        return result
    }
}

/// What the sidecar container looks like for one pod: resources, probes, hold and drain.
struct SidecarOptions: Sendable {
    var annotations: PodAnnotations
    var holdApplication: Bool
    var terminationDrainSeconds: Int
    var nativeSidecar: Bool

    /// Istio's default `terminationDrainDuration`.
    static let defaultDrainSeconds = 5

    init(annotations: PodAnnotations, proxy: ProxySettings, nativeSidecar: Bool) {
        self.annotations = annotations
        self.holdApplication = annotations.holdApplicationUntilProxyStarts ?? proxy.holdApplicationUntilProxyStarts ?? false
        self.terminationDrainSeconds =
            annotations.terminationDrainSeconds ?? proxy.terminationDrainDuration.map(Self.wholeSeconds)
            ?? Self.defaultDrainSeconds
        self.nativeSidecar = nativeSidecar
    }

    /// A duration in whole seconds, rounded up (the kubelet's sleep takes seconds).
    static func wholeSeconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(max(0, seconds)) + (attoseconds > 0 ? 1 : 0)
    }
}
