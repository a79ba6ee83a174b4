import MeshModel
import Testing

/// Telemetry (telemetry.istio.io v1 and v1alpha1): what is read, istiod's refusals with their field paths, and which
/// objects apply to a workload.
@Suite("Telemetry")
struct TelemetryTests {
    static func telemetry(
        _ spec: String, name: String = "t", namespace: String = "default", apiVersion: String = "v1"
    )
        -> String
    {
        """
        apiVersion: telemetry.istio.io/\(apiVersion)
        kind: Telemetry
        metadata:
          name: \(name)
          namespace: \(namespace)
        spec:
        \(spec)
        """
    }

    @Test func decodesEverySection() throws {
        let yaml = Self.telemetry(
            """
              selector:
                matchLabels: {app: web}
              accessLogging:
              - providers: [{name: file}]
                disabled: false
                filter: {expression: "response.code >= 400"}
                match: {mode: SERVER}
              tracing:
              - providers: [{name: zipkin}]
                randomSamplingPercentage: 12.5
                disableSpanReporting: true
                useRequestIdForTraceSampling: false
                customTags:
                  env: {environment: {name: POD_NAME, defaultValue: unknown}}
                  user: {header: {name: x-user}}
                  team: {literal: {value: payments}}
              metrics:
              - providers: [{name: prometheus}]
                overrides:
                - match: {metric: REQUEST_COUNT, mode: CLIENT}
                  disabled: true
            """, apiVersion: "v1alpha1")
        guard case .telemetry(let telemetry) = onlyResource(decode(yaml)) else {
            Issue.record("not a Telemetry")
            return
        }
        #expect(telemetry.selector == ["app": "web"])
        #expect(
            telemetry.accessLogging
                == [
                    TelemetryAccessLogging(
                        providers: ["file"], disabled: false, filterExpression: "response.code >= 400", mode: .server)
                ])
        let tracing = try #require(telemetry.tracing.first)
        #expect(tracing.providers == ["zipkin"] && tracing.randomSamplingPercentage == 12.5)
        #expect(tracing.disableSpanReporting == true && tracing.useRequestIdForTraceSampling == false)
        #expect(tracing.customTags["env"] == .environment(name: "POD_NAME", defaultValue: "unknown"))
        #expect(tracing.customTags["user"] == .header(name: "x-user", defaultValue: nil))
        #expect(tracing.customTags["team"] == .literal("payments"))
        #expect(
            telemetry.metrics.first?.overrides == [TelemetryMetricsOverride(disabled: true, metric: "REQUEST_COUNT")])
    }

    @Test("metrics: turning Istio's metrics off is already in force; producing or re-tagging them is warned about")
    func metricsWarnings() {
        let yaml = Self.telemetry(
            """
              metrics:
              - providers: [{name: prometheus}]
                overrides:
                - match: {metric: REQUEST_COUNT}
                  disabled: true
                - match: {metric: REQUEST_DURATION}
                  tagOverrides: {request_host: {value: request.host}}
                - match: {metric: REQUEST_SIZE}
                  disabled: false
              - providers: [{name: prometheus}]
            """)
        let result = decode(yaml)
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
        #expect(
            Set(result.warnings.map(\.fieldPath))
                == [
                    "spec.metrics[0].overrides[1].tagOverrides", "spec.metrics[0].overrides[2]", "spec.metrics[1]",
                ], "\(result.warnings.map(\.description))")
    }

    static let refusals: [(spec: String, path: String, reason: String)] = [
        (
            "  accessLogging:\n  - providers: [{name: \"\"}]", "spec.accessLogging[0].providers[0].name",
            "at least 1 chars"
        ),
        (
            "  accessLogging:\n  - filter: {expression: \"\"}", "spec.accessLogging[0].filter.expression",
            "CEL expression"
        ),
        ("  accessLogging:\n  - match: {mode: BOTH}", "spec.accessLogging[0].match.mode", "CLIENT_AND_SERVER"),
        ("  accessLogging:\n  - disabled: sometimes", "spec.accessLogging[0].disabled", "expected true or false"),
        ("  tracing:\n  - randomSamplingPercentage: 101", "spec.tracing[0].randomSamplingPercentage", "[0.0, 100.0]"),
        (
            "  tracing:\n  - customTags: {a: {literal: {value: \"\"}}}", "spec.tracing[0].customTags.a.literal.value",
            "may not be empty"
        ),
        (
            "  tracing:\n  - customTags: {a: {header: {}}}", "spec.tracing[0].customTags.a.header.name",
            "may not be empty"
        ),
        ("  tracing:\n  - customTags: {a: {}}", "spec.tracing[0].customTags.a", "needs one of"),
        (
            "  metrics:\n  - overrides:\n    - match: {customMetric: \"\"}",
            "spec.metrics[0].overrides[0].match.customMetric", "at least 1 chars"
        ),
        (
            "  metrics:\n  - overrides:\n    - tagOverrides: {foo: {operation: UPSERT}}",
            "spec.metrics[0].overrides[0].tagOverrides.foo.value", "must be set when operation is UPSERT"
        ),
        (
            "  metrics:\n  - overrides:\n    - tagOverrides: {foo: {operation: REMOVE, value: oops}}",
            "spec.metrics[0].overrides[0].tagOverrides.foo.value", "must not be set when operation is REMOVE"
        ),
        ("  metrics:\n  - reportingInterval: -5s", "spec.metrics[0].reportingInterval", "must not be negative"),
        ("  selector:\n    matchLabels: {\"*\": x}", "spec.selector.matchLabels", "wildcard is not supported"),
        (
            "  selector:\n    matchLabels: {app: a}\n  targetRefs: [{kind: Service, name: a}]", "spec.targetRefs",
            "only one of targetRefs or selector"
        ),
    ]

    @Test(arguments: refusals.indices)
    func refusesWithTheFieldPath(_ index: Int) {
        let refusal = Self.refusals[index]
        let result = decode(Self.telemetry(refusal.spec))
        #expect(result.objects.isEmpty, "accepted: \(refusal.spec)")
        #expect(
            result.errors.contains { $0.fieldPath == refusal.path && $0.reason.contains(refusal.reason) },
            "\(refusal.spec): \(result.errors.map(\.description))")
    }

    @Test func unknownAPIVersionIsRefused() {
        let result = decode(Self.telemetry("  accessLogging: []", apiVersion: "v2"))
        #expect(result.errors.contains { $0.fieldPath == "apiVersion" })
    }

    @Test("mesh-wide, namespace and workload levels, least specific first; targetRefs select no proxy")
    func levels() {
        let yaml = [
            Self.telemetry("  accessLogging: [{disabled: true}]", name: "mesh", namespace: "istio-system"),
            Self.telemetry("  accessLogging: [{disabled: true}]", name: "ns", namespace: "shop"),
            Self.telemetry(
                "  selector:\n    matchLabels: {app: web}\n  accessLogging: [{disabled: false}]", name: "web",
                namespace: "shop"),
            Self.telemetry(
                "  selector:\n    matchLabels: {app: db}\n  accessLogging: [{disabled: false}]", name: "db",
                namespace: "shop"),
            Self.telemetry(
                "  targetRefs: [{kind: Service, name: web}]\n  accessLogging: [{disabled: false}]", name: "waypoint",
                namespace: "shop"),
        ].joined(separator: "\n---\n")
        let result = decode(yaml)
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
        let snapshot = MeshSnapshot.build(from: result.objects)
        #expect(
            snapshot.telemetries(namespace: "shop", labels: ["app": "web"]).map(\.meta.name) == ["mesh", "ns", "web"])
        #expect(snapshot.telemetries(namespace: "shop", labels: ["app": "other"]).map(\.meta.name) == ["mesh", "ns"])
        #expect(snapshot.telemetries(namespace: "istio-system", labels: [:]).map(\.meta.name) == ["mesh"])
        #expect(snapshot.telemetries(namespace: "other", labels: ["app": "web"]).map(\.meta.name) == ["mesh"])
    }
}
