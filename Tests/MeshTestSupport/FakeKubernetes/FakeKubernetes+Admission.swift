import Foundation
import Hummingbird
import Injection
import MeshModel

/// The API server's admission chain for creates and updates, as kube-apiserver runs it: the stored
/// MutatingWebhookConfigurations (by name, each webhook in order) whose rules, `namespaceSelector` and
/// `objectSelector` match are called with an `admission.k8s.io/v1` AdmissionReview over HTTPS, their JSON Patches
/// applied one after another; then the matching ValidatingWebhookConfigurations. A webhook's `caBundle` is the
/// only trust root (none: the call fails, as with a real server), and `clientConfig.service` is reached at the
/// address `routeService` gave it (a real server asks the Service's endpoints), with TLS checked against the name
/// `<service>.<namespace>.svc`. A denial refuses the create with the webhook's code and
/// `admission webhook "<name>" denied the request: <message>`; a failed call refuses it with 500 under
/// `failurePolicy: Fail` (the default) and is skipped under `Ignore`.
extension FakeKubernetes {
    /// Where the webhook Service `namespace/name` (its `port`) is reached: a port on 127.0.0.1.
    public func routeService(namespace: String, name: String, port: Int = 443, toLocalPort localPort: Int) {
        state.withLock { $0.serviceRoutes["\(namespace)/\(name):\(port)"] = localPort }
    }

    /// How many webhook calls were made, by webhook name.
    public var admissionCalls: [String: Int] { state.withLock { $0.admissionCalls } }

    enum Admission {
        case admitted([String: Any])
        case refused(Response)
    }

    func admit(
        _ object: [String: Any], target: FakeObjectPath, operation: String, oldObject: [String: Any]? = nil
    ) async -> Admission {
        let (mutating, validating, namespaceLabels, routes) = state.withLock { state in
            (
                Self.configurations("MutatingWebhookConfiguration", in: state),
                Self.configurations("ValidatingWebhookConfiguration", in: state),
                Self.labels(ofNamespace: target.namespace, in: state), state.serviceRoutes
            )
        }
        var current = object
        for (webhook, mutates) in mutating.map({ ($0, true) }) + validating.map({ ($0, false) }) {
            guard Self.matches(webhook, target: target, operation: operation, object: current, namespaceLabels: namespaceLabels)
            else { continue }
            let name = webhook["name"] as? String ?? "(unnamed)"
            state.withLock { $0.admissionCalls[name, default: 0] += 1 }
            let failClosed = (webhook["failurePolicy"] as? String ?? "Fail") != "Ignore"
            do {
                let response = try await call(
                    webhook, object: current, oldObject: oldObject, target: target, operation: operation,
                    routes: routes)
                if response["allowed"] as? Bool != true {
                    let status = response["status"] as? [String: Any] ?? [:]
                    let code = status["code"] as? Int ?? 403
                    let message = status["message"] as? String ?? ""
                    return .refused(
                        Self.status(
                            code, reason: code == 403 ? "Forbidden" : "BadRequest",
                            "admission webhook \"\(name)\" denied the request: \(message)"))
                }
                if mutates, let patch = response["patch"] as? String {
                    guard response["patchType"] as? String == "JSONPatch" else {
                        throw FakeAdmissionError("the response has a patch without patchType JSONPatch")
                    }
                    current = try Self.apply(patch: patch, to: current)
                }
            } catch {
                if failClosed {
                    return .refused(
                        Self.status(500, reason: "InternalError", "Internal error occurred: failed calling webhook \"\(name)\": \(error)"))
                }
            }
        }
        return .admitted(current)
    }

    /// The webhooks of every stored configuration of `kind`, configurations in name order.
    static func configurations(_ kind: String, in state: FakeClusterState) -> [[String: Any]] {
        guard let resource = FakeResource.forKind(kind), let stored = state.objects[resource] else { return [] }
        return stored.sorted { $0.key < $1.key }.flatMap { _, text -> [[String: Any]] in
            (parse(text)?["webhooks"] as? [[String: Any]]) ?? []
        }
    }

    static func labels(ofNamespace name: String, in state: FakeClusterState) -> [String: String] {
        guard let resource = FakeResource.forKind("Namespace"), let text = state.objects[resource]?["/\(name)"] else {
            return [:]
        }
        return (parse(text)?["metadata"] as? [String: Any])?["labels"] as? [String: String] ?? [:]
    }

    static func matches(
        _ webhook: [String: Any], target: FakeObjectPath, operation: String, object: [String: Any],
        namespaceLabels: [String: String]
    ) -> Bool {
        let resource = target.resource
        let rules = webhook["rules"] as? [[String: Any]] ?? []
        let ruleMatches = rules.contains { rule in
            func has(_ field: String, _ value: String) -> Bool {
                let values = rule[field] as? [String] ?? []
                return values.contains("*") || values.contains(value)
            }
            return has("operations", operation) && has("apiGroups", resource.group)
                && has("apiVersions", resource.version) && has("resources", resource.plural)
        }
        guard ruleMatches else { return false }
        if resource.namespaced, let selector = webhook["namespaceSelector"], !selectorMatches(selector, namespaceLabels) {
            return false
        }
        let objectLabels = (object["metadata"] as? [String: Any])?["labels"] as? [String: String] ?? [:]
        if let selector = webhook["objectSelector"], !selectorMatches(selector, objectLabels) { return false }
        return true
    }

    /// POSTs the AdmissionReview with curl, verifying the webhook's certificate against its caBundle alone.
    func call(
        _ webhook: [String: Any], object: [String: Any], oldObject: [String: Any]?, target: FakeObjectPath,
        operation: String, routes: [String: Int]
    ) async throws -> [String: Any] {
        let client = webhook["clientConfig"] as? [String: Any] ?? [:]
        var arguments = ["curl", "-sS", "--noproxy", "*", "--max-time", "\(webhook["timeoutSeconds"] as? Int ?? 10)"]
        let url: String
        if let service = client["service"] as? [String: Any], let name = service["name"] as? String,
            let namespace = service["namespace"] as? String
        {
            let port = service["port"] as? Int ?? 443
            guard let local = routes["\(namespace)/\(name):\(port)"] else {
                throw FakeAdmissionError("service \"\(namespace)/\(name)\" has no endpoints")
            }
            let host = "\(name).\(namespace).svc"
            arguments += ["--resolve", "\(host):\(local):127.0.0.1"]
            url = "https://\(host):\(local)\(service["path"] as? String ?? "/")"
        } else if let direct = client["url"] as? String {
            url = direct
        } else {
            throw FakeAdmissionError("clientConfig has neither service nor url")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fake-admission-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // The caBundle alone: an empty CA file makes every certificate untrusted, as a webhook without caBundle
        // (and a server certificate from a private CA) is for kube-apiserver.
        let bundle = (client["caBundle"] as? String).flatMap { Data(base64Encoded: $0) } ?? Data()
        let caFile = directory.appendingPathComponent("ca.pem")
        try bundle.write(to: caFile)
        arguments += ["--cacert", caFile.path, "--capath", directory.path]

        let uid = UUID().uuidString.lowercased()
        let metadata = object["metadata"] as? [String: Any] ?? [:]
        let resource = target.resource
        let kind: [String: Any] = ["group": resource.group, "version": resource.version, "kind": resource.kind]
        let plural: [String: Any] = ["group": resource.group, "version": resource.version, "resource": resource.plural]
        var request: [String: Any] = [
            "uid": uid, "kind": kind, "resource": plural, "requestKind": kind, "requestResource": plural,
            "name": metadata["name"] as? String ?? "", "operation": operation,
            "userInfo": ["username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]],
            "object": object, "oldObject": oldObject ?? NSNull(), "dryRun": false,
            "options": ["kind": operation == "UPDATE" ? "UpdateOptions" : "CreateOptions", "apiVersion": "meta.k8s.io/v1"],
        ]
        if resource.namespaced { request["namespace"] = target.namespace }
        let review: [String: Any] = ["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request]
        let body = directory.appendingPathComponent("review.json")
        try Data(Self.serialize(review).utf8).write(to: body)
        arguments += ["-H", "Content-Type: application/json", "--data-binary", "@\(body.path)", "--fail-with-body", url]
        let result = try await Subprocess.runDetached(arguments, timeout: .seconds(30))
        guard result.succeeded else {
            throw FakeAdmissionError("Post \"\(url)\": \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard let answer = Self.parse(result.stdout), answer["kind"] as? String == "AdmissionReview",
            answer["apiVersion"] as? String == "admission.k8s.io/v1", let response = answer["response"] as? [String: Any]
        else { throw FakeAdmissionError("the webhook answered something else than an admission.k8s.io/v1 AdmissionReview") }
        guard response["uid"] as? String == uid else {
            throw FakeAdmissionError("expected response.uid=\"\(uid)\", got \"\(response["uid"] as? String ?? "")\"")
        }
        return response
    }

    static func apply(patch encoded: String, to object: [String: Any]) throws -> [String: Any] {
        guard let data = Data(base64Encoded: encoded), case .array(let operations) = try JSONValue.decode(data) else {
            throw FakeAdmissionError("the patch is not a base64 JSON array")
        }
        let document = try JSONValue.decode(Data(serialize(object).utf8))
        let patched = try JSONPatchApplier.apply(operations, to: document)
        guard let result = parse(String(decoding: try patched.encoded(), as: UTF8.self)) else {
            throw FakeAdmissionError("the patched object is not a JSON object")
        }
        return result
    }
}

/// Why a webhook call failed.
struct FakeAdmissionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A stored label selector applied to labels, read as the API server reads it (an unreadable one matches nothing).
private func selectorMatches(_ selector: Any, _ labels: [String: String]) -> Bool {
    guard let data = try? JSONSerialization.data(withJSONObject: selector),
        let json = try? JSONValue.decode(data), let parsed = try? LabelSelector(json: json, path: "selector")
    else { return false }
    return parsed.matches(labels)
}
