extension ConfigDecoder {
    /// Server-populated metadata that says nothing about routing; ignored without a warning.
    static let ignoredMetadataFields: Set<String> = [
        "uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "ownerReferences", "selfLink",
        "finalizers",
    ]

    /// `metadata`: name, namespace (default `default`), labels and annotations. A missing name is left empty for the
    /// validator to report.
    static func decodeMetadata(_ metadata: YAMLMapping?, root: YAMLMapping) -> ObjectMeta {
        guard let metadata else { return ObjectMeta(name: "") }
        metadata.warnUnsupported(
            handled: ["name", "namespace", "labels", "annotations"], ignored: ignoredMetadataFields)
        let namespace = metadata.string("namespace").flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        return ObjectMeta(
            name: metadata.string("name") ?? "", namespace: namespace, labels: metadata.stringMap("labels"),
            annotations: metadata.stringMap("annotations"))
    }
}
