import MeshModel

/// Istio's `exportTo` rule: empty or `*` is everywhere, `.` is the object's own namespace, else the listed ones.
enum ExportVisibility {
    static func isVisible(exportTo: [String], objectNamespace: String, to clientNamespace: String) -> Bool {
        if exportTo.isEmpty || exportTo.contains("*") { return true }
        if exportTo.contains(".") && objectNamespace == clientNamespace { return true }
        return exportTo.contains(clientNamespace)
    }
}
