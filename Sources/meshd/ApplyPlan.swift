import EtcdClient
import Foundation
import Logging
import MeshModel
import Registry

/// What `meshd apply` would write: every object of the given files, validated together, each under its etcd key.
///
/// Built without touching etcd. `errors` non-empty means nothing may be written.
struct ApplyPlan {
    /// One object and where it goes.
    struct Entry {
        var key: String
        var value: [UInt8]
        /// The object; nil for the mesh config ConfigMap, which is no modelled kind.
        var object: ResourceKey?
        /// `file:line`, for output.
        var origin: String
    }

    var entries: [Entry] = []
    var errors: [String] = []
    var warnings: [String] = []

    /// Reads `paths` (files, or directories read recursively for `*.yaml` and `*.yml`), validates every object as
    /// `meshd validate` does (cross-file duplicates included), and lays each out under `layout`.
    static func make(paths: [String], layout: EtcdKeyLayout) -> ApplyPlan {
        var plan = ApplyPlan()
        let store = ConfigStore(logger: Logger(label: "meshd-apply", factory: { _ in SwiftLogNoOpLogHandler() }))
        for file in yamlFiles(paths, errors: &plan.errors) {
            guard let data = FileManager.default.contents(atPath: file) else {
                plan.errors.append("\(file): cannot read file")
                continue
            }
            let bytes = Array(data)
            store.apply(file: file, result: ConfigDecoder.decode(bytes: bytes, file: file))
            plan.layOut(file: file, text: String(decoding: bytes, as: UTF8.self), layout: layout)
        }
        let diagnostics = store.diagnostics()
        plan.errors += diagnostics.filter(\.isError).map(\.description)
        plan.warnings += diagnostics.filter { !$0.isError && $0.reason != MeshConfigDecoder.configMapSkipped }
            .map(\.description)
        return plan
    }

    /// Adds one entry per object document of a file.
    private mutating func layOut(file: String, text: String, layout: EtcdKeyLayout) {
        for document in ConfigDecoder.documents(yaml: text) where !document.isEmpty {
            let origin = "\(file):\(document.firstLine)"
            if let identity = ConfigDecoder.identity(of: document.text), MeshConfigDecoder.isMeshConfigMap(identity) {
                // The mesh config: validated as `serve --mesh-config` validates it, stored as the ConfigMap.
                let result = MeshConfigDecoder.decode(configMap: document.text, file: "\(origin)#data.mesh")
                errors += result.errors.map(\.description)
                warnings += result.warnings.map(\.description)
                let key = layout.key(
                    apiVersion: "v1", kind: "ConfigMap", namespace: identity.namespace, name: identity.name)
                var value = Substring(document.text)
                while value.first == "\n" { value = value.dropFirst() }
                entries.append(Entry(key: key, value: Array((value + "\n").utf8), object: nil, origin: origin))
                continue
            }
            let decoded = ConfigDecoder.decode(yaml: document.text, file: file)
            guard let object = decoded.objects.first else { continue }  // refused (reported above) or skipped
            guard let identity = ConfigDecoder.identity(of: document.text), identity.kind != "List",
                decoded.objects.count == 1
            else {
                errors.append(
                    "\(origin): a kind: List is not written to etcd, which holds one object per key; "
                        + "write its items as separate documents")
                continue
            }
            let key = layout.key(
                apiVersion: identity.apiVersion, kind: object.key.kind.rawValue, namespace: object.key.namespace,
                name: object.key.name)
            var value = Substring(document.text)
            while value.first == "\n" { value = value.dropFirst() }
            entries.append(Entry(key: key, value: Array((value + "\n").utf8), object: object.key, origin: origin))
        }
    }

    /// The `*.yaml` and `*.yml` files under `paths`, sorted, hidden files and folders left out.
    static func yamlFiles(_ paths: [String], errors: inout [String]) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                errors.append("\(path): no such file or directory")
                continue
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let root = URL(fileURLWithPath: path)
            guard
                let walker = FileManager.default.enumerator(
                    at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
            else {
                errors.append("\(path): cannot read directory")
                continue
            }
            var found: [String] = []
            for case let url as URL in walker where url.pathExtension == "yaml" || url.pathExtension == "yml" {
                if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                    found.append(url.path)
                }
            }
            files += found.sorted()
        }
        return files
    }

    /// The transaction that writes every entry and removes the same objects stored under another apiVersion (so
    /// that changing an object's apiVersion does not leave a duplicate behind). `existing` is every key under the
    /// prefix now.
    func transaction(existing: Set<String>, layout: EtcdKeyLayout) -> EtcdTransaction {
        var operations: [EtcdTransaction.Operation] = entries.map { .put($0.key, value: $0.value) }
        let written = Set(entries.map(\.key))
        for entry in entries {
            guard let object = entry.object else { continue }
            for other in layout.keys(of: object) where other != entry.key && existing.contains(other) {
                if !written.contains(other) { operations.append(.delete(other)) }
            }
        }
        return EtcdTransaction(success: operations)
    }
}
