public import CoreMetrics

/// istiod's webhook metrics: `sidecar_injection_requests_total` and its outcome counters for `/inject`, and
/// `galley_validation_passed` / `galley_validation_failed` (by group, version and kind) for `/validate`.
public struct WebhookMetrics: Sendable {
    let factory: any MetricsFactory
    let injectionRequests: Counter
    let injectionSuccess: Counter
    let injectionSkip: Counter
    let injectionFailure: Counter

    public init(factory: any MetricsFactory) {
        self.factory = factory
        injectionRequests = Counter(label: "sidecar_injection_requests_total", factory: factory)
        injectionSuccess = Counter(label: "sidecar_injection_success_total", factory: factory)
        injectionSkip = Counter(label: "sidecar_injection_skip_total", factory: factory)
        injectionFailure = Counter(label: "sidecar_injection_failure_total", factory: factory)
    }

    func injected(_ response: AdmissionResponse) {
        injectionRequests.increment()
        if !response.allowed {
            injectionFailure.increment()
        } else if response.patch == nil {
            injectionSkip.increment()
        } else {
            injectionSuccess.increment()
        }
    }

    func validated(_ request: AdmissionRequest, _ response: AdmissionResponse) {
        let dimensions = [("group", request.group), ("version", request.version), ("resource", request.kind)]
        let label = response.allowed ? "galley_validation_passed" : "galley_validation_failed"
        Counter(label: label, dimensions: dimensions, factory: factory).increment()
    }
}
