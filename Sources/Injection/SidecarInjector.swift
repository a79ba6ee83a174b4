public import Yams

/// Manual sidecar injection, as `istioctl kube-inject` does it: rewrites the pod template of every workload in a
/// multi-document YAML stream and passes every other document through unchanged.
///
/// Pure: YAML text in, YAML text out, no I/O.
public struct SidecarInjector: Sendable {
    public var settings: InjectSettings

    public init(settings: InjectSettings) {
        self.settings = settings
    }

    /// Kinds that carry a pod template, and the path to it (empty for a Pod itself).
    static let podTemplatePaths: [String: [String]] = [
        "Pod": [],
        "Deployment": ["spec", "template"],
        "StatefulSet": ["spec", "template"],
        "DaemonSet": ["spec", "template"],
        "Job": ["spec", "template"],
    ]

    /// Kinds that would make pods but that meshd does not inject, with what to do instead.
    static let refusedKinds: [String: String] = [
        "CronJob": "CronJob is not supported; inject the Job it creates, or add the sidecar to jobTemplate by hand",
        "ReplicaSet": "ReplicaSet is not supported; inject the Deployment that owns it",
        "ReplicationController": "ReplicationController is not supported; use a Deployment",
        "List": "a v1 List is not supported; pass the items as separate YAML documents",
        "PodTemplate": "PodTemplate is not supported; inject the workload that uses it",
    ]

    /// Injects every workload in `yaml`; throws `InjectError` naming the first document it cannot handle.
    public func inject(yaml: String) throws -> String {
        var documents: [Node] = []
        var sequence: YamlSequence<Node>
        do {
            sequence = try Yams.compose_all(yaml: yaml)
        } catch {
            throw InjectError(reason: "the input is not valid YAML: \(error)")
        }
        while let document = sequence.next() { documents.append(document) }
        if let error = sequence.error { throw InjectError(reason: "the input is not valid YAML: \(error)") }
        guard !documents.isEmpty else { throw InjectError(reason: "the input holds no YAML documents") }

        var output: [String] = []
        for (offset, document) in documents.enumerated() {
            let injected = try inject(document, position: offset + 1)
            output.append(try Yams.serialize(node: injected, width: -1))
        }
        return output.joined(separator: "---\n")
    }

    /// One document: a workload gets the sidecar, any other Kubernetes object is returned as it was.
    func inject(_ document: Node, position: Int) throws -> Node {
        guard document.mapping != nil else {
            throw InjectError(document: position, reason: "not a Kubernetes object (expected a mapping)")
        }
        guard let kind = document["kind"]?.string, !kind.isEmpty, document["apiVersion"]?.string != nil else {
            throw InjectError(document: position, reason: "not a Kubernetes object: apiVersion and kind are required")
        }
        let name = document["metadata"]?["name"]?.string ?? document["metadata"]?["generateName"]?.string ?? "(unnamed)"
        let object = "\(kind)/\(name)"
        if let refusal = Self.refusedKinds[kind] {
            throw InjectError(document: position, object: object, reason: refusal)
        }
        guard let path = Self.podTemplatePaths[kind] else { return document }
        guard let template = document[path: path], template.mapping != nil else {
            throw InjectError(document: position, object: object, reason: "\(path.joined(separator: ".")) is missing")
        }
        if kind == "Job" && !settings.nativeSidecar {
            throw InjectError(
                document: position, object: object,
                reason:
                    "a Job's pod would never complete with the sidecar as an ordinary container; use native sidecars (the default)"
            )
        }
        var injected = document
        do {
            let namespace = document["metadata"]?["namespace"]?.string
            guard let pod = try PodTemplateInjection(settings: settings).inject(template, namespace: namespace) else {
                return document
            }
            injected[path: path] = pod.pod
        } catch let reason as PodTemplateInjection.Refusal {
            throw InjectError(document: position, object: object, reason: reason.description)
        }
        return injected
    }
}

extension Node {
    /// The node at `path` of nested mapping keys; the node itself for an empty path.
    subscript(path path: [String]) -> Node? {
        get {
            var node: Node? = self
            for key in path { node = node?[key] }
            return node
        }
        set {
            guard let newValue else { return }
            guard let first = path.first else {
                self = newValue
                return
            }
            var child = self[first] ?? Node([(Node, Node)]())
            child[path: Array(path.dropFirst())] = newValue
            self[first] = child
        }
    }
}
