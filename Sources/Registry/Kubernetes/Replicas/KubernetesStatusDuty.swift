import Foundation
public import Logging
import MeshModel

/// The leader's duty on Kubernetes of writing each Istio object's validation status onto the object's `status`
/// subresource, once for the whole replica set (istiod does the like with `PILOT_ENABLE_STATUS`). The Kubernetes
/// counterpart of `ConfigStatusDuty`, from the same `ConfigStatusReport`.
///
/// Every `interval` it computes the status of each Istio object the store holds or refused, and for each that changed
/// since it last looked (a new status, or a new version of the object) it reads the object and, if its `status`
/// differs from the wanted one, replaces it with `PUT .../status`, conditional on the resourceVersion it read. Each
/// write goes through the fence. A new leader reads each object once and rewrites only what differs, so a failover
/// rewrites nothing that is already right.
///
/// What is written, merged into the object's existing status (other writers' conditions and fields are kept):
/// - `observedGeneration`, the generation read;
/// - istiod's conditions `Reconciled` (`True` when the object as it is now is in force) and `Ready` (`True` when some
///   version of it is), and meshd's own `meshd.io/Accepted` (`True` when in force, with reason `Accepted`, `Refused`
///   or `Ignored` and a message listing the errors and warnings); each keeps its `lastTransitionTime` while its
///   status stays the same, so an unchanged status is the same bytes;
/// - `validationMessages`, one per error and warning, as Istio's analysis messages (`KubernetesStatusDuty+Istio`);
///   absent when there are none.
public struct KubernetesStatusDuty: KubernetesLeaderDuty {
    public static let dutyName = "config-status"
    public static let conditionType = "meshd.io/Accepted"
    public var name: String { Self.dutyName }

    public let store: ConfigStore
    public let interval: Duration
    let kinds: [String: KubernetesKind]
    let logger: Logger

    public init(
        store: ConfigStore, kinds: [KubernetesKind] = KubernetesKind.watched, interval: Duration = .seconds(1),
        logger: Logger
    ) {
        self.store = store
        self.interval = interval
        self.kinds = Dictionary(
            kinds.filter { $0.isCustomResource && $0.isModelled }.map { ($0.kind, $0) }, uniquingKeysWith: { a, _ in a }
        )
        self.logger = logger
    }

    public func run(_ fence: KubernetesLeaderFence) async throws {
        var done: [String: String] = [:]
        while !Task.isCancelled {
            var versions: [String: Int] = [:]
            for object in store.objects() { versions[object.source.file] = object.resource.hashValue }
            let wanted = ConfigStatusReport.statuses(objects: store.objects(), diagnostics: store.diagnostics()) {
                file in objectPath(file) == nil ? nil : file
            }
            var written = 0
            for (file, status) in wanted.sorted(by: { $0.key < $1.key }) {
                guard let path = objectPath(file) else { continue }
                let fingerprint =
                    "\(versions[file] ?? 0)|" + String(decoding: ConfigStatusReport.encode(status), as: UTF8.self)
                if done[file] == fingerprint { continue }
                switch try await write(status, to: path, fence: fence) {
                case .written:
                    written += 1
                    done[file] = fingerprint
                case .unchanged, .gone:
                    done[file] = fingerprint
                case .conflict:
                    break
                }
            }
            done = done.filter { wanted[$0.key] != nil }
            if written > 0 { logger.info("wrote config status", metadata: ["objects": "\(written)"]) }
            try await Task.sleep(for: interval)
        }
    }

    /// The API path of the object stored as `k8s://<Kind>/<namespace>/<name>`, for the Istio kinds; nil otherwise.
    func objectPath(_ file: String) -> String? {
        let prefix = KubernetesSource.filePrefix
        guard file.hasPrefix(prefix), !file.contains("#") else { return nil }
        let parts = file.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, let kind = kinds[String(parts[0])], !parts[1].isEmpty, !parts[2].isEmpty else {
            return nil
        }
        return "/apis/\(kind.group)/\(kind.version)/namespaces/\(parts[1])/\(kind.resource)/\(parts[2])"
    }

    enum Outcome { case written, unchanged, gone, conflict }

    /// Reads the object and replaces its status when it differs from `status`.
    func write(
        _ status: ConfigStatusReport.Status, to path: String, fence: KubernetesLeaderFence
    ) async throws
        -> Outcome
    {
        let read = try await fence.read(path)
        if read.status == 404 { return .gone }
        try KubernetesClient.check(status: read.status, body: read.body, path: path)
        guard var object = (try? JSONSerialization.jsonObject(with: read.body)) as? [String: Any],
            let metadata = object["metadata"] as? [String: Any]
        else { throw KubernetesError.malformed("\(path): not an object with metadata") }
        let current = object["status"] as? [String: Any] ?? [:]
        let generation = (metadata["generation"] as? NSNumber)?.int64Value
        let desired = Self.merged(status, into: current, generation: generation)
        if Self.canonical(desired) == Self.canonical(current) { return .unchanged }
        object["status"] = desired
        let body = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        let answer = try await fence.write(.put, path + "/status", json: body)
        switch answer.status {
        case 404: return .gone
        case 409: return .conflict
        default:
            try KubernetesClient.check(status: answer.status, body: answer.body, path: path + "/status")
            return .written
        }
    }

    /// `current` with meshd's conditions, validation messages and `observedGeneration` set from `status`. A condition
    /// whose status did not change keeps its `lastTransitionTime`; one that did gets `now`.
    static func merged(
        _ status: ConfigStatusReport.Status, into current: [String: Any], generation: Int64?, now: Date = Date()
    ) -> [String: Any] {
        var result = current
        let ours = wantedConditions(status)
        let types = Set(ours.compactMap { $0["type"] as? String })
        let existing = current["conditions"] as? [[String: Any]] ?? []
        var conditions = existing.filter { !types.contains($0["type"] as? String ?? "") }
        for var condition in ours {
            let previous = existing.first { $0["type"] as? String == condition["type"] as? String }
            if let previous, previous["status"] as? String == condition["status"] as? String,
                let time = previous["lastTransitionTime"] as? String
            {
                condition["lastTransitionTime"] = time
            } else {
                condition["lastTransitionTime"] = timestamp(now)
            }
            conditions.append(condition)
        }
        result["conditions"] = conditions.sorted { ($0["type"] as? String ?? "") < ($1["type"] as? String ?? "") }
        let messages = validationMessages(status)
        result["validationMessages"] = messages.isEmpty ? nil : messages
        if let generation { result["observedGeneration"] = "\(generation)" }
        return result
    }

    static func canonical(_ value: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data()
    }
}
