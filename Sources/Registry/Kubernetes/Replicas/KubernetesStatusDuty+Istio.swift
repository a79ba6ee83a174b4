import Foundation

/// The parts of an Istio object's status that istiod's status controller writes, built from meshd's
/// `ConfigStatusReport.Status`: the `Reconciled` and `Ready` conditions and `validationMessages` in the shape of
/// Istio's analysis messages (`type: {code, name}`, `level`, `documentationUrl`, plus meshd's `description`).
extension KubernetesStatusDuty {
    /// istiod's condition: the object as it is now is what meshd serves (`True`: accepted and in force).
    public static let reconciledCondition = "Reconciled"
    /// Some version of the object is in force (`True` also while a refused update leaves the last good one serving).
    public static let readyCondition = "Ready"

    /// One analysis message type: Istio's code, name and level (`ERROR`, `WARNING`, `INFO`).
    struct MessageType: Hashable {
        var code: String
        var name: String
        var level: String
        /// Istio documents most codes at istio.io; a few have no page.
        var documented: Bool

        var documentationURL: String? {
            documented ? "https://istio.io/latest/docs/reference/config/analysis/\(code.lowercased())/" : nil
        }
    }

    /// Istio's levels of the codes meshd's analysis reports (its level, not meshd's severity: meshd warns and
    /// keeps the object in force, where `istioctl analyze` calls these errors).
    static let knownTypes: [String: MessageType] = [
        "IST0101": MessageType(code: "IST0101", name: "ReferencedResourceNotFound", level: "ERROR", documented: true),
        "IST0106": MessageType(code: "IST0106", name: "SchemaValidationError", level: "ERROR", documented: true),
        "IST0110": MessageType(
            code: "IST0110", name: "ConflictingSidecarWorkloadSelectors", level: "ERROR", documented: true),
        "IST0111": MessageType(
            code: "IST0111", name: "MultipleSidecarsWithoutWorkloadSelectors", level: "ERROR", documented: true),
        "IST0133": MessageType(code: "IST0133", name: "SchemaWarning", level: "WARNING", documented: false),
    ]
    /// What a validation error without a code of its own is: Istio's schema validation error.
    static let schemaError = knownTypes["IST0106"]
    /// And a validation warning without a code: Istio's schema warning.
    static let schemaWarning = knownTypes["IST0133"]

    /// The validation messages of `status`: each error and warning, its code read from a reason that starts with
    /// one (`IST0101 ReferencedResourceNotFound: …`, as meshd's analysis writes them), else Istio's schema error or
    /// schema warning; the description is the field path and the rest of the reason.
    static func validationMessages(_ status: ConfigStatusReport.Status) -> [[String: Any]] {
        func message(_ diagnostic: ConfigStatusReport.Message, fallback: MessageType?) -> [String: Any] {
            var type = fallback
            var reason = diagnostic.reason
            if let parsed = parseCode(diagnostic.reason) {
                type =
                    knownTypes[parsed.code]
                    ?? MessageType(
                        code: parsed.code, name: parsed.name, level: fallback?.level ?? "ERROR", documented: false)
                reason = parsed.rest
            }
            var result: [String: Any] = [
                "type": ["code": type?.code ?? "", "name": type?.name ?? ""],
                "level": type?.level ?? "ERROR",
                "description": diagnostic.fieldPath.isEmpty ? reason : "\(diagnostic.fieldPath): \(reason)",
            ]
            if let url = type?.documentationURL { result["documentationUrl"] = url }
            return result
        }
        return status.errors.map { message($0, fallback: schemaError) }
            + status.warnings.map { message($0, fallback: schemaWarning) }
    }

    /// `IST0101 ReferencedResourceNotFound: rest` as its parts; nil when the reason does not start with a code.
    static func parseCode(_ reason: String) -> (code: String, name: String, rest: String)? {
        guard reason.hasPrefix("IST"), let space = reason.firstIndex(of: " ") else { return nil }
        let code = String(reason[..<space])
        guard code.count == 7, code.dropFirst(3).allSatisfy(\.isNumber) else { return nil }
        let afterCode = reason[reason.index(after: space)...]
        guard let colon = afterCode.firstIndex(of: ":") else { return nil }
        let name = String(afterCode[..<colon])
        guard !name.isEmpty, !name.contains(" ") else { return nil }
        let rest = afterCode[afterCode.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        return (code, name, rest)
    }

    /// The three conditions meshd writes, by type, without their transition times.
    static func wantedConditions(_ status: ConfigStatusReport.Status) -> [[String: Any]] {
        let reconciled = status.inForce && status.state == "Accepted"
        let reconciledMessage: String
        switch status.state {
        case "Accepted" where status.inForce: reconciledMessage = "in force: meshd serves the object as it is now"
        case "Ignored": reconciledMessage = "ignored: another source declares the same object and wins"
        default:
            reconciledMessage =
                status.inForce
                ? "refused: the last good version stays in force" : "refused: no version of the object is in force"
        }
        var lines = status.errors.map { "\($0.fieldPath): \($0.reason)" }
        lines += status.warnings.map { "warning: \($0.fieldPath): \($0.reason)" }
        return [
            [
                "type": conditionType, "status": status.inForce ? "True" : "False", "reason": status.state,
                "message": lines.isEmpty ? "in force" : lines.joined(separator: "; "),
            ],
            [
                "type": reconciledCondition, "status": reconciled ? "True" : "False", "reason": status.state,
                "message": reconciledMessage,
            ],
            [
                "type": readyCondition, "status": status.inForce ? "True" : "False",
                "reason": status.inForce ? "InForce" : "NotInForce",
                "message": status.inForce
                    ? "a version of the object is in force" : "no version of the object is in force",
            ],
        ]
    }

    /// The RFC 3339 time (seconds) of a condition's transition.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
