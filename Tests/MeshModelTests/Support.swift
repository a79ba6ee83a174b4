import MeshModel
import Testing

/// Decodes `yaml` as if read from `test.yaml`.
func decode(_ yaml: String, file: String = "test.yaml") -> DecodeResult {
    ConfigDecoder.decode(yaml: yaml, file: file)
}

/// The only error of a result, recording an issue (with every diagnostic) when there is not exactly one.
func onlyError(_ result: DecodeResult, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> ConfigDiagnostic? {
    #expect(result.errors.count == 1, "errors: \(result.errors.map(\.description))", sourceLocation: sourceLocation)
    return result.errors.count == 1 ? result.errors.first : nil
}

/// The resource of the only decoded object.
func onlyResource(_ result: DecodeResult, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> MeshResource? {
    #expect(result.errors.isEmpty, "errors: \(result.errors.map(\.description))", sourceLocation: sourceLocation)
    #expect(result.objects.count == 1, sourceLocation: sourceLocation)
    return result.objects.first?.resource
}

/// A VirtualService document for `reviews` whose `http` section is `http` (indented for `spec:`).
func virtualService(http: String, name: String = "reviews") -> String {
    """
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata:
      name: \(name)
      namespace: bookinfo
    spec:
      hosts:
      - reviews
      http:
    \(http)
    """
}
