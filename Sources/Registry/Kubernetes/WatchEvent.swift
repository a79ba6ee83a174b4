import Foundation

/// One line of a watch stream: `{"type": "...", "object": {...}}`.
enum WatchEvent: Sendable, Hashable {
    case added(KubernetesObject)
    case modified(KubernetesObject)
    case deleted(KubernetesObject)
    /// Only the resourceVersion is meaningful: the watch has seen everything up to it.
    case bookmark(resourceVersion: String)
    /// A `Status` object; code 410 means the watch's resourceVersion expired.
    case error(code: Int, message: String)

    /// Parses one JSON line. Throws `KubernetesError.malformed` on anything unexpected; never traps.
    init(line: some Collection<UInt8>, kind: KubernetesKind) throws {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(line))
        } catch {
            throw KubernetesError.malformed("watch event is not JSON: \(error)")
        }
        guard let event = value as? [String: Any], let type = event["type"] as? String,
            let object = event["object"] as? [String: Any]
        else { throw KubernetesError.malformed("watch event without type or object") }
        switch type {
        case "ADDED": self = .added(try KubernetesObject(json: object, kind: kind))
        case "MODIFIED": self = .modified(try KubernetesObject(json: object, kind: kind))
        case "DELETED": self = .deleted(try KubernetesObject(json: object, kind: kind))
        case "BOOKMARK":
            let metadata = object["metadata"] as? [String: Any]
            guard let version = metadata?["resourceVersion"] as? String else {
                throw KubernetesError.malformed("BOOKMARK without metadata.resourceVersion")
            }
            self = .bookmark(resourceVersion: version)
        case "ERROR":
            let status = APIStatus(object)
            self = .error(code: status.code, message: status.message)
        default:
            throw KubernetesError.malformed("unknown watch event type \"\(type)\"")
        }
    }
}

/// The fields of a `meta/v1` Status that matter to a client.
struct APIStatus {
    var code: Int
    var message: String

    init(_ object: [String: Any]) {
        code = (object["code"] as? Int) ?? (object["code"] as? NSNumber)?.intValue ?? 0
        message = object["message"] as? String ?? (object["reason"] as? String ?? "unknown error")
    }

    /// Reads a Status body; nil when the body is not one.
    init?(data: Data) {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            object["kind"] as? String == "Status"
        else { return nil }
        self.init(object)
    }
}
