import Yams

/// Adds the sidecar to one pod template (a Pod, or a workload's `spec.template`): metadata, the init container,
/// the Envoy container and the volumes.
struct PodTemplateInjection {
    /// Why a pod template cannot be injected.
    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    var settings: InjectSettings

    /// Annotation marking injected pods, so a second run refuses instead of injecting twice.
    static let statusAnnotation = "meshd.io/injected"

    /// The injected template, or nil when the template opts out (`sidecar.istio.io/inject: "false"`).
    func inject(_ template: Node, namespace: String? = nil) throws -> Node? {
        var pod = template
        let metadata = pod["metadata"]
        if Self.optsOut(metadata) { return nil }
        guard var spec = pod["spec"], spec.mapping != nil else { throw Refusal(description: "the pod spec is missing") }
        guard let containers = spec["containers"]?.sequence, let firstContainer = containers.first else {
            throw Refusal(description: "the pod spec has no containers")
        }
        let initContainers = spec["initContainers"]?.sequence.map(Array.init) ?? []
        let existingNames = (Array(containers) + initContainers).compactMap { $0["name"]?.string }
        for reserved in [InjectSettings.proxyContainerName, InjectSettings.initContainerName]
        where existingNames.contains(reserved) {
            throw Refusal(description: "already injected: it has a container named \(reserved)")
        }
        if spec["hostNetwork"]?.bool == true {
            throw Refusal(
                description:
                    "hostNetwork pods share the node's network; a redirect there would capture the node's traffic")
        }

        let labels = Self.stringMap(metadata?["labels"])
        let workloadNamespace = metadata?["namespace"]?.string ?? namespace ?? settings.namespace
        let proxy = settings.mesh.proxySettings(namespace: workloadNamespace, labels: labels)
        if let reserved = proxy.environmentVariables.keys.sorted().first(
            where: InjectSettings.reservedEnvironment.contains)
        {
            throw Refusal(
                description:
                    "a ProxyConfig sets the environment variable \(reserved), which meshd's sidecar sets itself")
        }
        let template = try InjectBootstrap.template(
            labels: labels, namespace: workloadNamespace, settings: settings, proxy: proxy)
        let sidecar = InjectContainers.sidecar(bootstrapTemplate: template, settings: settings, proxy: proxy)
        var newInit = [InjectContainers.initContainer(settings: settings)]
        if settings.nativeSidecar { newInit.append(sidecar) }
        spec["initContainers"] = .sequence(.init(newInit + initContainers))
        if !settings.nativeSidecar { spec["containers"] = .sequence(.init(Array(containers) + [sidecar])) }
        let volumes = spec["volumes"]?.sequence.map(Array.init) ?? []
        spec["volumes"] = .sequence(.init(volumes + InjectContainers.volumes(settings: settings)))
        pod["spec"] = spec

        var newMetadata = metadata ?? Node([(Node, Node)]())
        var annotations = newMetadata["annotations"] ?? Node([(Node, Node)]())
        annotations[Self.statusAnnotation] = .string("true")
        if annotations["kubectl.kubernetes.io/default-container"] == nil, let app = firstContainer["name"]?.string {
            annotations["kubectl.kubernetes.io/default-container"] = .string(app)
        }
        newMetadata["annotations"] = annotations
        var newLabels = newMetadata["labels"] ?? Node([(Node, Node)]())
        // Istio's marker for "this endpoint has a sidecar and speaks mesh mTLS".
        newLabels["security.istio.io/tlsMode"] = .string("istio")
        newMetadata["labels"] = newLabels
        pod["metadata"] = newMetadata
        return pod
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

    static func stringMap(_ node: Node?) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in node?.mapping ?? [:] {
            if let key = key.string, let value = value.string { result[key] = value }
        }
        return result
    }
}
