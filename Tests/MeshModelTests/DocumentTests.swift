import MeshModel
import Testing

/// Multi-document files, unknown kinds, unsupported fields and broken YAML.
@Suite("Documents and warnings")
struct DocumentTests {
    @Test func unknownKindIsSkippedWithAWarning() throws {
        let result = decode(
            """
            apiVersion: extensions.istio.io/v1alpha1
            kind: WasmPlugin
            metadata: {name: gw}
            spec: {}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec: {ports: [{port: 80}]}
            """)
        #expect(result.errors.isEmpty)
        #expect(result.objects.map(\.key.description) == ["Service/default/web"])
        #expect(result.objects.first?.source.document == 2)
        #expect(result.objects.first?.source.line == 6)
        let warning = try #require(result.warnings.first)
        #expect(result.warnings.count == 1)
        #expect(warning.fieldPath == "kind")
        #expect(warning.line == 2)
        #expect(warning.reason.contains("WasmPlugin \"gw\" is not supported by meshd"), "\(warning.reason)")
        #expect(warning.reason.contains("run without it"))
        #expect(warning.reason.contains("skipped"))
    }

    @Test func otherUnknownKindsSayUnknownKind() throws {
        let result = decode("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
        let warning = try #require(result.warnings.first)
        #expect(warning.reason == "unknown kind \"Widget\" \"w\"; document skipped")
        #expect(result.objects.isEmpty && result.errors.isEmpty)
    }

    @Test func unsupportedFieldsWarnWithTheirPath() {
        let result = decode(
            virtualService(
                http: """
                      - sessionAffinity: {cookie: x}
                        route:
                        - destination: {host: reviews}
                        trafficShift:
                          weight: 3
                    """))
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
        #expect(result.objects.count == 1)
        let warned = result.warnings.map { "\($0.line ?? 0) \($0.fieldPath)" }
        #expect(warned == ["10 spec.http[0].sessionAffinity", "13 spec.http[0].trafficShift"])
        #expect(result.warnings.allSatisfy { $0.reason.contains("not supported") && $0.severity == .warning })
    }

    @Test func unsupportedTrafficPolicyWarns() {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: r, generation: 3, creationTimestamp: "2024-01-01T00:00:00Z"}
            spec:
              host: reviews
              trafficPolicy:
                tunnel:
                  targetHost: example.com
                loadBalancer: {simple: ROUND_ROBIN}
            status: {observedGeneration: 3}
            """)
        #expect(result.objects.count == 1)
        #expect(result.warnings.map(\.fieldPath) == ["spec.trafficPolicy.tunnel"])
        #expect(result.warnings.first?.line == 7)
    }

    @Test func redirectOnlyRouteIsKept() {
        let result = decode(
            virtualService(
                http: """
                      - match: [{uri: {prefix: /v1}}]
                        redirect: {uri: /v2}
                      - route:
                        - destination: {host: reviews}
                    """))
        guard case .virtualService(let vs) = onlyResource(result) else {
            Issue.record("no VS")
            return
        }
        #expect(vs.http.count == 2)
        #expect(vs.http[0].redirect == HTTPRedirect(uri: "/v2"))
        #expect(result.warnings.isEmpty, "\(result.warnings.map(\.description))")
    }

    @Test func emptyDocumentsAndCommentsAreIgnored() {
        let result = decode(
            """
            # leading comment
            ---
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: a}
            spec: {ports: [{port: 80}]}
            ---
            # only a comment
            ...
            """)
        #expect(result.errors.isEmpty)
        #expect(result.warnings.isEmpty)
        #expect(result.objects.map(\.key.name) == ["a"])
        #expect(result.objects.first?.source.document == 2)
    }

    @Test func listKindDecodesItems() {
        let result = decode(
            """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Service
              metadata: {name: a}
              spec: {ports: [{port: 80}]}
            - apiVersion: v1
              kind: Service
              metadata: {name: b}
              spec: {ports: [{port: 0}]}
            """)
        #expect(result.objects.map(\.key.name) == ["a"])
        #expect(result.errors.map(\.fieldPath) == ["items[1].spec.ports[0].port"])
        #expect(result.errors.first?.line == 11)
    }

    @Test func brokenYAMLIsAnErrorForThatDocumentOnly() throws {
        let result = decode(
            """
            apiVersion: v1
            kind: Service
            metadata: {name: a
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: b}
            spec: {ports: [{port: 80}]}
            """)
        #expect(result.objects.map(\.key.name) == ["b"])
        let error = try #require(onlyError(result))
        #expect(error.document == 1)
        #expect(error.object == nil)
        #expect(error.line != nil)
        #expect(error.reason.contains("YAML"))
        #expect(result.hasUnattributedErrors)
    }

    @Test func documentThatIsNotAMappingIsAnError() throws {
        let result = decode("- just\n- a list\n")
        #expect(try #require(onlyError(result)).reason.contains("mapping"))
    }

    @Test func missingKindIsAnError() throws {
        let result = decode("apiVersion: v1\nmetadata: {name: x}\n")
        #expect(try #require(onlyError(result)).fieldPath == "kind")
    }
}
