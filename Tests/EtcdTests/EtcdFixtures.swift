import EtcdClient
import Foundation
import Logging
import MeshModel
import Registry
import Synchronization

/// YAML and helpers shared by the etcd suites.
enum EtcdFixtures {
    /// A valid VirtualService whose `rev` label tells versions apart.
    static func virtualService(name: String = "reviews", namespace: String = "default", rev: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: \(name)
          namespace: \(namespace)
          labels:
            rev: "\(rev)"
        spec:
          hosts: [\(name)]
          http:
          - route:
            - destination:
                host: \(name)

        """
    }

    /// A VirtualService the validator refuses: a negative route weight.
    static func invalidVirtualService(name: String = "reviews", namespace: String = "default") -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: \(name)
          namespace: \(namespace)
          labels:
            rev: "bad"
        spec:
          hosts: [\(name)]
          http:
          - route:
            - destination:
                host: \(name)
              weight: -5

        """
    }

    static func service(name: String, namespace: String = "default") -> String {
        """
        apiVersion: v1
        kind: Service
        metadata:
          name: \(name)
          namespace: \(namespace)
        spec:
          ports:
          - name: http
            port: 9080

        """
    }

    static let layout = EtcdKeyLayout(prefix: "/meshd")

    static func vsKey(_ name: String = "reviews", namespace: String = "default") -> String {
        layout.key(apiVersion: "networking.istio.io/v1", kind: "VirtualService", namespace: namespace, name: name)
    }

    static func serviceKey(_ name: String, namespace: String = "default") -> String {
        layout.key(apiVersion: "v1", kind: "Service", namespace: namespace, name: name)
    }

    /// The `rev` label of the VirtualService `name` in force, or nil when there is none.
    static func revision(of name: String, in store: ConfigStore, namespace: String = "default") -> String? {
        let key = ResourceKey(kind: .virtualService, namespace: namespace, name: name)
        return store.objects().first { $0.key == key }?.resource.meta.labels["rev"]
    }
}

/// Remembers every log line, so a test can tell a resumed watch from a relist.
final class LogRecorder: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "meshd-test") { _ in Handler(recorder: self) }
    }

    func count(_ fragment: String) -> Int {
        lines.withLock { $0.filter { $0.contains(fragment) }.count }
    }

    var all: String { lines.withLock { $0.joined(separator: "\n") } }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            recorder.lines.withLock { $0.append("\(event.level) \(event.message) \(fields.joined(separator: " "))") }
        }
    }
}

/// Whether a source has reported its first listing applied.
final class SyncFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}
