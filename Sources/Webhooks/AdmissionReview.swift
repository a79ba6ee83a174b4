public import Foundation
public import Injection

/// One `admission.k8s.io/v1` AdmissionReview request, as the API server sends it to a webhook.
public struct AdmissionRequest: Sendable {
    public var apiVersion: String
    public var uid: String
    /// `request.kind`: the group, version and kind of the object.
    public var group: String
    public var version: String
    public var kind: String
    public var namespace: String?
    public var name: String?
    public var operation: String
    public var object: JSONValue?
    public var dryRun: Bool

    /// Why a request body is not an AdmissionReview the webhook can answer.
    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    /// The API versions of AdmissionReview meshd answers; the response is in the request's version.
    public static let supportedVersions: Set<String> = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"]

    public init(body: Data) throws(Malformed) {
        let review: JSONValue
        do {
            review = try JSONValue.decode(body)
        } catch {
            throw Malformed(description: "the body is not JSON: \(error)")
        }
        guard review["kind"]?.stringValue == "AdmissionReview" else {
            throw Malformed(description: "kind: expected AdmissionReview")
        }
        guard let apiVersion = review["apiVersion"]?.stringValue, Self.supportedVersions.contains(apiVersion) else {
            throw Malformed(
                description: "apiVersion: expected one of " + Self.supportedVersions.sorted().joined(separator: ", "))
        }
        guard let request = review["request"], request.objectValue != nil else {
            throw Malformed(description: "request: is required")
        }
        guard let uid = request["uid"]?.stringValue, !uid.isEmpty else {
            throw Malformed(description: "request.uid: is required")
        }
        guard let kind = request["kind"], let kindName = kind["kind"]?.stringValue else {
            throw Malformed(description: "request.kind.kind: is required")
        }
        self.apiVersion = apiVersion
        self.uid = uid
        self.group = kind["group"]?.stringValue ?? ""
        self.version = kind["version"]?.stringValue ?? ""
        self.kind = kindName
        self.namespace = request["namespace"]?.stringValue
        self.name = request["name"]?.stringValue
        self.operation = request["operation"]?.stringValue ?? ""
        if let object = request["object"], object != .null { self.object = object }
        if case .bool(let flag)? = request["dryRun"] { self.dryRun = flag } else { self.dryRun = false }
    }
}

/// The webhook's answer: the AdmissionReview response the API server expects, echoing the request's uid.
public struct AdmissionResponse: Sendable, Equatable {
    public var uid: String
    public var allowed: Bool
    /// A JSON Patch for the object; only for mutating webhooks.
    public var patch: [JSONPatchOperation]?
    /// When refused: the HTTP-style code and the message the API server shows (`admission webhook "..." denied the
    /// request: <message>`).
    public var code: Int?
    public var message: String?
    /// Shown to the client (kubectl prints them as `Warning: ...`).
    public var warnings: [String]

    public static func allow(
        _ request: AdmissionRequest, patch: [JSONPatchOperation]? = nil, warnings: [String] = []
    ) -> AdmissionResponse {
        AdmissionResponse(
            uid: request.uid, allowed: true, patch: patch?.isEmpty == true ? nil : patch, code: nil, message: nil,
            warnings: warnings)
    }

    public static func deny(
        _ request: AdmissionRequest, code: Int = 400, message: String, warnings: [String] = []
    ) -> AdmissionResponse {
        AdmissionResponse(
            uid: request.uid, allowed: false, patch: nil, code: code, message: message, warnings: warnings)
    }

    /// The whole AdmissionReview, in `apiVersion` (the request's).
    public func review(apiVersion: String) throws -> Data {
        var response: [String: JSONValue] = ["uid": .string(uid), "allowed": .bool(allowed)]
        if let patch {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            response["patchType"] = .string("JSONPatch")
            response["patch"] = .string(try encoder.encode(patch).base64EncodedString())
        }
        if !allowed {
            response["status"] = .object([
                "metadata": .object([:]), "status": .string("Failure"), "code": .int(Int64(code ?? 400)),
                "message": .string(message ?? "denied"),
                "reason": .string(code == 403 ? "Forbidden" : "BadRequest"),
            ])
        }
        if !warnings.isEmpty { response["warnings"] = .array(warnings.map(JSONValue.string)) }
        let review: JSONValue = .object([
            "apiVersion": .string(apiVersion), "kind": .string("AdmissionReview"), "response": .object(response),
        ])
        return try review.encoded()
    }
}
