import Foundation
public import Injection
import Logging
import Registry
public import MeshModel
import Yams

/// `/inject`: istiod's sidecar-injection webhook. For a Pod being created it decides, with the injector config's
/// policy and selectors, whether the pod gets the sidecar, and answers with the JSON Patch that adds exactly what
/// `meshd inject` adds (the same `PodTemplateInjection`), with the pod's annotations applied.
public struct InjectionWebhook: Sendable {
    public var config: InjectorConfig
    /// The live mesh config and ProxyConfigs, read at each request.
    public var mesh: @Sendable () -> MeshSnapshot

    public init(config: InjectorConfig, mesh: @escaping @Sendable () -> MeshSnapshot) {
        self.config = config
        self.mesh = mesh
    }

    public func review(_ request: AdmissionRequest) -> AdmissionResponse {
        guard request.kind == "Pod", request.group.isEmpty else {
            return .allow(request, warnings: ["meshd injects Pods only; \(request.kind) passed unchanged"])
        }
        guard request.operation == "CREATE" || request.operation.isEmpty else { return .allow(request) }
        guard let object = request.object, case .object = object else {
            return .deny(request, message: "request.object: the Pod is missing")
        }
        let pod = NodeJSON.node(object)
        let metadata = pod["metadata"]
        let namespace = request.namespace ?? metadata?["namespace"]?.string ?? "default"
        let labels = PodTemplateInjection.stringMap(metadata?["labels"])
        let annotations = PodTemplateInjection.stringMap(metadata?["annotations"])
        let decision = config.policy.decide(
            namespace: namespace, labels: labels, annotations: annotations,
            hostNetwork: pod["spec"]?["hostNetwork"]?.bool == true)
        guard decision == .inject else { return .allow(request) }
        var settings = config.settings
        settings.mesh = mesh()
        settings.namespace = namespace
        do {
            guard let injected = try PodTemplateInjection(settings: settings).inject(pod, namespace: namespace) else {
                return .allow(request)
            }
            var result = try NodeJSON.json(injected.pod)
            result = Self.adding(config.injectedAnnotations, to: result)
            return .allow(request, patch: JSONPatch.diff(from: object, to: result), warnings: injected.warnings)
        } catch let refusal as PodTemplateInjection.Refusal {
            return .deny(request, message: "sidecar injection failed: \(refusal.description)")
        } catch let error as InjectError {
            return .deny(request, message: "sidecar injection failed: \(error.description)")
        } catch {
            return .deny(request, code: 500, message: "sidecar injection failed: \(error)")
        }
    }

    /// The injector config's `injectedAnnotations`, added to the pod's own (which win).
    static func adding(_ extra: [String: String], to pod: JSONValue) -> JSONValue {
        guard !extra.isEmpty, case .object(var members) = pod else { return pod }
        var metadata = members["metadata"]?.objectValue ?? [:]
        var annotations = metadata["annotations"]?.objectValue ?? [:]
        for (key, value) in extra where annotations[key] == nil { annotations[key] = .string(value) }
        metadata["annotations"] = .object(annotations)
        members["metadata"] = .object(metadata)
        return .object(members)
    }
}

/// `/validate`: istiod's validation webhook. An Istio object being created or updated is read as `meshd validate`
/// reads a file; any error refuses it, with the same messages, and warnings go back as admission warnings.
public struct ValidationWebhook: Sendable {
    /// The live mesh config the object is validated under.
    public var meshConfig: @Sendable () -> MeshConfig?

    public init(meshConfig: @escaping @Sendable () -> MeshConfig? = { nil }) {
        self.meshConfig = meshConfig
    }

    public func review(_ request: AdmissionRequest) -> AdmissionResponse {
        guard request.operation != "DELETE", request.operation != "CONNECT" else { return .allow(request) }
        guard var object = request.object else {
            return .deny(request, message: "request.object: the object is missing")
        }
        // The request's namespace, when the object does not name one (the API server fills it in before storing).
        if let namespace = request.namespace, !namespace.isEmpty, case .object(var members) = object {
            var metadata = members["metadata"]?.objectValue ?? [:]
            if metadata["namespace"]?.stringValue?.isEmpty ?? true {
                metadata["namespace"] = .string(namespace)
                members["metadata"] = .object(metadata)
                object = .object(members)
            }
        }
        let diagnostics: [ConfigDiagnostic]
        do {
            diagnostics = try Self.diagnostics(of: object, meshConfig: meshConfig())
        } catch {
            return .deny(request, message: "configuration is invalid: the object cannot be read: \(error)")
        }
        let errors = diagnostics.filter(\.isError).map(Self.message)
        let warnings = diagnostics.filter { !$0.isError }.map(Self.message)
        if !errors.isEmpty {
            return .deny(request, message: "configuration is invalid: " + errors.joined(separator: "; "), warnings: warnings)
        }
        return .allow(request, warnings: warnings)
    }

    /// The object's diagnostics, as `meshd validate --mesh-config` finds them in a file holding only this object:
    /// decoded and checked by a store of its own under the live mesh config.
    static func diagnostics(of object: JSONValue, meshConfig: MeshConfig?) throws -> [ConfigDiagnostic] {
        let yaml = try Yams.serialize(node: NodeJSON.node(object), width: -1)
        let store = ConfigStore(logger: quiet)
        if let meshConfig { store.apply(meshConfig: MeshConfigDecodeResult(config: meshConfig)) }
        store.apply(file: "admission", result: ConfigDecoder.decode(yaml: yaml, file: "admission"))
        return store.diagnostics()
    }

    static let quiet = Logger(label: "meshd-webhook-validation", factory: { _ in SwiftLogNoOpLogHandler() })

    /// `meshd validate`'s line without the file and line, which mean nothing to the API server's client.
    static func message(_ diagnostic: ConfigDiagnostic) -> String {
        var parts: [String] = []
        if let object = diagnostic.object { parts.append(object.description) }
        if !diagnostic.fieldPath.isEmpty { parts.append(diagnostic.fieldPath) }
        parts.append(diagnostic.reason)
        return parts.joined(separator: ": ")
    }
}
