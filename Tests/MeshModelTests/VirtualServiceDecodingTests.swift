import MeshModel
import Testing

/// Every `http` field of a VirtualService decodes to the model, and what meshd does not know is warned about.
@Suite("VirtualService http decoding")
struct VirtualServiceDecodingTests {
    private func onlyHTTPRoute(_ http: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> HTTPRoute?
    {
        let result = decode(virtualService(http: http))
        guard case .virtualService(let service) = onlyResource(result, sourceLocation: sourceLocation) else {
            return nil
        }
        #expect(service.http.count == 1, sourceLocation: sourceLocation)
        return service.http.first
    }

    @Test func everyMatchCondition() throws {
        let route = try #require(
            onlyHTTPRoute(
                """
                  - match:
                    - name: m
                      uri: {prefix: /api}
                      ignoreUriCase: true
                      scheme: {exact: https}
                      method: {exact: GET}
                      authority: {prefix: shop}
                      headers:
                        X-User: {exact: jason}
                        x-present: {}
                      withoutHeaders:
                        x-debug: {regex: "on|yes"}
                      queryParams:
                        Version: {prefix: v2}
                      port: 9080
                      sourceLabels: {app: productpage}
                      sourceNamespace: frontend
                      gateways: [mesh]
                    route:
                    - destination: {host: reviews}
                """))
        #expect(
            route.match == [
                HTTPMatchRequest(
                    name: "m", uri: .prefix("/api"), scheme: .exact("https"), method: .exact("GET"),
                    authority: .prefix("shop"), headers: ["x-user": .exact("jason"), "x-present": .any],
                    withoutHeaders: ["x-debug": .regex("on|yes")], queryParams: ["Version": .prefix("v2")],
                    ignoreUriCase: true, port: 9080, sourceLabels: ["app": "productpage"],
                    sourceNamespace: "frontend", gateways: ["mesh"])
            ])
    }

    @Test func actionsAndDecorations() throws {
        let route = try #require(
            onlyHTTPRoute(
                """
                  - name: all
                    route:
                    - destination: {host: reviews, subset: v1}
                      weight: 90
                      headers:
                        request:
                          set: {x-subset: v1}
                    - destination: {host: reviews, subset: v2}
                      weight: 10
                    timeout: 1.5s
                    retries: {attempts: 3, perTryTimeout: 250ms, retryOn: "5xx,503", retryRemoteLocalities: true}
                    fault:
                      delay: {fixedDelay: 2s, percentage: {value: 12.5}}
                      abort: {httpStatus: 418, percentage: {value: 100}}
                    mirror: {host: shadow}
                    mirrorPercentage: {value: 40}
                    rewrite: {uri: /v2, authority: reviews.internal}
                    corsPolicy:
                      allowOrigins: [{exact: "https://a.example"}, {regex: ".*\\\\.b\\\\.example"}]
                      allowMethods: [GET, POST]
                      allowHeaders: [x-a]
                      exposeHeaders: [x-b]
                      maxAge: 24h
                      allowCredentials: true
                      unmatchedPreflights: IGNORE
                    headers:
                      request: {add: {x-a: "1"}, remove: [x-b]}
                      response: {set: {x-c: "2"}}
                """))
        #expect(route.route.map(\.weight) == [90, 10])
        #expect(route.route[0].headers == HeaderOperations(request: .init(set: ["x-subset": "v1"])))
        #expect(route.timeout == .milliseconds(1500))
        #expect(
            route.retries
                == HTTPRetry(
                    attempts: 3, perTryTimeout: .milliseconds(250), retryOn: "5xx,503", retryRemoteLocalities: true))
        #expect(route.fault?.delay == .init(fixedDelay: .seconds(2), percentage: 12.5))
        #expect(route.fault?.abort == .init(error: .httpStatus(418), percentage: 100))
        #expect(route.mirror == Destination(host: "shadow"))
        #expect(route.mirrorPercentage == 40)
        #expect(route.rewrite == HTTPRewrite(uri: "/v2", authority: "reviews.internal"))
        #expect(route.corsPolicy?.allowOrigins == [.exact("https://a.example"), .regex(".*\\.b\\.example")])
        #expect(route.corsPolicy?.maxAge == .seconds(86400))
        #expect(route.corsPolicy?.unmatchedPreflights == .ignore)
        #expect(route.headers?.request == .init(add: ["x-a": "1"], remove: ["x-b"]))
        #expect(route.headers?.response == .init(set: ["x-c": "2"]))
    }

    @Test func redirectDirectResponseAndDelegate() {
        let result = decode(
            virtualService(
                http: """
                      - match: [{uri: {exact: /old}}]
                        redirect: {uri: /new, authority: new.example, derivePort: FROM_REQUEST_PORT, scheme: https, redirectCode: 308}
                      - match: [{uri: {exact: /teapot}}]
                        directResponse: {status: 418, body: {bytes: "aGVsbG8="}}
                      - delegate: {name: reviews-v2, namespace: team}
                    """))
        guard case .virtualService(let service) = onlyResource(result) else { return }
        #expect(
            service.http[0].redirect
                == HTTPRedirect(
                    uri: "/new", authority: "new.example", derivePort: .fromRequestPort, scheme: "https",
                    redirectCode: 308))
        #expect(service.http[1].directResponse == HTTPDirectResponse(status: 418, body: .bytes(Array("hello".utf8))))
        #expect(service.http[2].delegate == HTTPDelegate(name: "reviews-v2", namespace: "team"))
    }

    @Test func unknownFieldsAreWarnedNotDropped() {
        let result = decode(
            virtualService(
                http: """
                      - route:
                        - destination: {host: reviews}
                        mirrorPercent: 30
                        sessionAffinity: {cookie: x}
                        match:
                        - uri: {prefix: /a}
                          statPrefix: api
                    """))
        let warned = Set(result.warnings.map(\.fieldPath))
        #expect(warned.contains("spec.http[0].sessionAffinity"), "\(warned)")
        #expect(warned.contains("spec.http[0].mirrorPercent"), "deprecated fields are named too: \(warned)")
        guard case .virtualService(let service) = onlyResource(result) else { return }
        #expect(service.http[0].mirrorPercentage == 30)
    }

    @Test(arguments: [
        ("timeout: 10", "timeout"), ("timeout: fast", "timeout"),
        ("retries: {attempts: 2, perTryTimeout: 1x}", "retries.perTryTimeout"),
    ])
    func badDurationNamesItsField(line: String, field: String) throws {
        let result = decode(
            virtualService(
                http: """
                      - route:
                        - destination: {host: reviews}
                        \(line)
                    """))
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.http[0].\(field)")
        #expect(error.line == 12)
        #expect(result.objects.isEmpty)
    }

    @Test func stringMatchWithTwoKindsIsAnError() throws {
        let result = decode(
            virtualService(
                http: """
                      - match:
                        - uri: {exact: /a, prefix: /b}
                        route:
                        - destination: {host: reviews}
                    """))
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.http[0].match[0].uri")
    }

    @Test func badEnumsAndBase64AreErrors() {
        let result = decode(
            virtualService(
                http: """
                      - redirect: {uri: /x, derivePort: SOMETIMES}
                      - directResponse: {status: 200, body: {bytes: "not base64!"}}
                    """))
        #expect(
            Set(result.errors.map(\.fieldPath))
                == ["spec.http[0].redirect.derivePort", "spec.http[1].directResponse.body.bytes"])
    }
}

/// istiod's webhook warnings for http rules that can never match: accepted, but named.
@Suite("VirtualService unreachable rules")
struct VirtualServiceUnreachableRuleTests {
    @Test func rulesAfterACatchAllAndDuplicateMatchesAreWarned() {
        let result = decode(
            virtualService(
                http: """
                      - name: a
                        match: [{uri: {prefix: /a}}]
                        route: [{destination: {host: reviews}}]
                      - name: b
                        match: [{name: again, uri: {prefix: /a}}, {uri: {prefix: /b}}]
                        route: [{destination: {host: reviews}}]
                      - name: all
                        route: [{destination: {host: reviews}}]
                      - name: late
                        match: [{uri: {prefix: /c}}]
                        route: [{destination: {host: reviews}}]
                    """))
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
        #expect(result.objects.count == 1, "warnings do not refuse the object")
        #expect(
            result.warnings.map(\.fieldPath) == ["spec.http[1].match[0]", "spec.http[3]"],
            "\(result.warnings.map(\.description))")
        #expect(result.warnings.last?.reason.contains("route without matches defined before") == true)
    }
}
