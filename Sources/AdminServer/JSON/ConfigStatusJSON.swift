import MeshModel
import Registry

/// `/debug/configz`: every object in force with where it came from, and every current error and warning.
struct ConfigStatusJSON: Encodable {
    struct Object: Encodable {
        var key: String
        var source: String
    }

    struct Diagnostic: Encodable {
        var message: String
        var file: String
        var document: Int
        var line: Int?
        var object: String?
        var field: String
        var reason: String
    }

    var snapshotVersion: String
    var objects: [Object]
    var errors: [Diagnostic]
    var warnings: [Diagnostic]

    init(store: ConfigStore) {
        snapshotVersion = store.snapshot().version
        objects = store.objects().sorted { $0.key < $1.key }.map {
            Object(key: $0.key.description, source: $0.source.description)
        }
        var errors: [Diagnostic] = []
        var warnings: [Diagnostic] = []
        for diagnostic in store.diagnostics() {
            let row = Diagnostic(
                message: diagnostic.description, file: diagnostic.file, document: diagnostic.document,
                line: diagnostic.line,
                object: diagnostic.object?.description, field: diagnostic.fieldPath, reason: diagnostic.reason)
            if diagnostic.isError { errors.append(row) } else { warnings.append(row) }
        }
        self.errors = errors
        self.warnings = warnings
    }
}
