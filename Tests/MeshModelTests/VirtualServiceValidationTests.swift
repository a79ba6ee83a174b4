import MeshModel
import Testing

/// istiod's webhook rules for VirtualService http routes: each invalid case is refused with one error naming the
/// field and the reason; the matching valid case is accepted.
@Suite("VirtualService http validation")
struct VirtualServiceValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var http: String
        var fieldPath: String
        var reason: String
        var testDescription: String { name }
    }

    static let invalid: [Case] = [
        Case(
            name: "route and redirect", http: "- redirect: {uri: /x}\n  route: [{destination: {host: reviews}}]",
            fieldPath: "spec.http[0]", reason: "both route and redirect"),
        Case(
            name: "rewrite with redirect", http: "- redirect: {uri: /x}\n  rewrite: {uri: /y}",
            fieldPath: "spec.http[0]", reason: "both rewrite and redirect"),
        Case(
            name: "fault with direct response",
            http: "- directResponse: {status: 200}\n  fault: {abort: {httpStatus: 500}}",
            fieldPath: "spec.http[0]", reason: "both fault and direct_response"),
        Case(
            name: "nothing to do", http: "- name: empty", fieldPath: "spec.http[0].route",
            reason: "HTTP route, redirect or direct_response is required"),
        Case(
            name: "redirect without target", http: "- redirect: {redirectCode: 302}",
            fieldPath: "spec.http[0].redirect",
            reason: "must specify URI, authority, scheme, or port"),
        Case(
            name: "redirect code", http: "- redirect: {uri: /x, redirectCode: 200}",
            fieldPath: "spec.http[0].redirect.redirectCode", reason: "must be 3xx"),
        Case(
            name: "redirect scheme", http: "- redirect: {uri: /x, scheme: ftp}",
            fieldPath: "spec.http[0].redirect.scheme",
            reason: "must be \"http\" or \"https\""),
        Case(
            name: "direct response status", http: "- directResponse: {status: 99}",
            fieldPath: "spec.http[0].directResponse.status", reason: "not in range 200-599"),
        Case(
            name: "timeout below 1ms", http: "- route: [{destination: {host: reviews}}]\n  timeout: 0s",
            fieldPath: "spec.http[0].timeout", reason: "at least 1ms"),
        Case(
            name: "timeout finer than ms", http: "- route: [{destination: {host: reviews}}]\n  timeout: 1500us",
            fieldPath: "spec.http[0].timeout", reason: "millisecond precision"),
        Case(
            name: "negative attempts", http: "- route: [{destination: {host: reviews}}]\n  retries: {attempts: -1}",
            fieldPath: "spec.http[0].retries.attempts", reason: "cannot be negative"),
        Case(
            name: "retry settings with zero attempts",
            http: "- route: [{destination: {host: reviews}}]\n  retries: {perTryTimeout: 2s}",
            fieldPath: "spec.http[0].retries", reason: "attempts are set to 0"),
        Case(
            name: "unknown retryOn",
            http: "- route: [{destination: {host: reviews}}]\n  retries: {attempts: 2, retryOn: \"5xx,sometimes\"}",
            fieldPath: "spec.http[0].retries.retryOn", reason: "\"sometimes\" is not a valid retryOn policy"),
        Case(
            name: "perTryTimeout",
            http: "- route: [{destination: {host: reviews}}]\n  retries: {attempts: 2, perTryTimeout: 0.1ms}",
            fieldPath: "spec.http[0].retries.perTryTimeout", reason: "at least 1ms"),
        Case(
            name: "fault without delay or abort", http: "- route: [{destination: {host: reviews}}]\n  fault: {}",
            fieldPath: "spec.http[0].fault", reason: "abort and/or a delay"),
        Case(
            name: "abort status",
            http: "- route: [{destination: {host: reviews}}]\n  fault: {abort: {httpStatus: 700}}",
            fieldPath: "spec.http[0].fault.abort.httpStatus", reason: "not in range 200-599"),
        Case(
            name: "abort grpc status",
            http: "- route: [{destination: {host: reviews}}]\n  fault: {abort: {grpcStatus: SLOW}}",
            fieldPath: "spec.http[0].fault.abort.grpcStatus", reason: "not supported"),
        Case(
            name: "abort percentage",
            http:
                "- route: [{destination: {host: reviews}}]\n  fault: {abort: {httpStatus: 503, percentage: {value: 101}}}",
            fieldPath: "spec.http[0].fault.abort.percentage", reason: "range [0.0001, 100.0]"),
        Case(
            name: "delay fixedDelay",
            http:
                "- route: [{destination: {host: reviews}}]\n  fault: {delay: {fixedDelay: 0s, percentage: {value: 5}}}",
            fieldPath: "spec.http[0].fault.delay.fixedDelay", reason: "at least 1ms"),
        Case(
            name: "exponential delay",
            http: "- route: [{destination: {host: reviews}}]\n  fault: {delay: {exponentialDelay: 1s}}",
            fieldPath: "spec.http[0].fault.delay.exponentialDelay", reason: "not supported yet"),
        Case(
            name: "mirror percentage",
            http:
                "- route: [{destination: {host: reviews}}]\n  mirror: {host: shadow}\n  mirrorPercentage: {value: 120}",
            fieldPath: "spec.http[0].mirrorPercentage", reason: "0-100"),
        Case(
            name: "mirror and mirrors",
            http:
                "- route: [{destination: {host: reviews}}]\n  mirror: {host: a}\n  mirrors: [{destination: {host: b}}]",
            fieldPath: "spec.http[0]", reason: "both mirror and mirrors"),
        Case(
            name: "rewrite uri and regex",
            http:
                "- route: [{destination: {host: reviews}}]\n  rewrite: {uri: /a, uriRegexRewrite: {match: a, rewrite: b}}",
            fieldPath: "spec.http[0].rewrite", reason: "only contain one of URI or UriRegexRewrite"),
        Case(
            name: "empty rewrite", http: "- route: [{destination: {host: reviews}}]\n  rewrite: {}",
            fieldPath: "spec.http[0].rewrite", reason: "at least one of URI"),
        Case(
            name: "bad rewrite regex",
            http:
                "- route: [{destination: {host: reviews}}]\n  rewrite: {uriRegexRewrite: {match: \"(?=x)\", rewrite: y}}",
            fieldPath: "spec.http[0].rewrite.uriRegexRewrite.regex", reason: "lookaround"),
        Case(
            name: "authority set twice",
            http:
                "- route: [{destination: {host: reviews}}]\n  rewrite: {authority: a}\n  headers: {request: {set: {host: b}}}",
            fieldPath: "spec.http[0].headers.request", reason: "authority header cannot be set multiple times"),
        Case(
            name: "pseudo header set",
            http: "- route: [{destination: {host: reviews}}]\n  headers: {request: {set: {\":path\": /x}}}",
            fieldPath: "spec.http[0].headers.request.set", reason: "header cannot have \":\" prefix"),
        Case(
            name: "host header removed",
            http: "- route: [{destination: {host: reviews}}]\n  headers: {request: {remove: [Host]}}",
            fieldPath: "spec.http[0].headers.request.remove", reason: "cannot set Host header"),
        Case(
            name: "bad header value",
            http: "- route: [{destination: {host: reviews}}]\n  headers: {response: {add: {x-a: \"50%\"}}}",
            fieldPath: "spec.http[0].headers.response.add.x-a", reason: "%%"),
        Case(
            name: "bad match header name",
            http: "- match: [{headers: {\"x user\": {exact: a}}}]\n  route: [{destination: {host: reviews}}]",
            fieldPath: "spec.http[0].match[0].headers", reason: "not a valid header name"),
        Case(
            name: "empty header prefix",
            http: "- match: [{headers: {x-a: {prefix: \"\"}}}]\n  route: [{destination: {host: reviews}}]",
            fieldPath: "spec.http[0].match[0].headers.x-a.prefix", reason: "should not be empty"),
        Case(
            name: "regex too long",
            http:
                "- match: [{method: {regex: \"\(String(repeating: "a", count: 1025))\"}}]\n  route: [{destination: {host: reviews}}]",
            fieldPath: "spec.http[0].match[0].method.regex", reason: "max length allowed is 1024"),
        Case(
            name: "match port", http: "- match: [{port: 70000}]\n  route: [{destination: {host: reviews}}]",
            fieldPath: "spec.http[0].match[0].port", reason: "out of range"),
        Case(
            name: "source namespace",
            http: "- match: [{sourceNamespace: Not_A_Namespace}]\n  route: [{destination: {host: reviews}}]",
            fieldPath: "spec.http[0].match[0].sourceNamespace", reason: "is invalid"),
        Case(
            name: "source labels",
            http: "- match: [{sourceLabels: {\"a/b/c\": x}}]\n  route: [{destination: {host: reviews}}]",
            fieldPath: "spec.http[0].match[0].sourceLabels", reason: "invalid label key"),
        Case(
            name: "match gateway name",
            http: "- match: [{gateways: [\"istio-system/\"]}]\n  route: [{destination: {host: reviews}}]",
            fieldPath: "spec.http[0].match[0].gateways[0]", reason: "cannot be empty"),
        Case(
            name: "jwt claim routing on the mesh",
            http:
                "- match: [{headers: {\"@request.auth.claims.group\": {exact: a}}}]\n  route: [{destination: {host: reviews}}]",
            fieldPath: "spec.http[0].match[0]", reason: "only supported for gateways"),
        Case(
            name: "negative weight",
            http:
                "- route:\n  - destination: {host: reviews, subset: v1}\n    weight: -1\n  - destination: {host: reviews, subset: v2}\n    weight: 101",
            fieldPath: "spec.http[0].route[0].weight", reason: "< 0"),
        Case(
            name: "split with no weight",
            http:
                "- route:\n  - destination: {host: reviews, subset: v1}\n  - destination: {host: reviews, subset: v2}",
            fieldPath: "spec.http[0].route", reason: "total destination weight = 0"),
        Case(
            name: "bad subset", http: "- route: [{destination: {host: reviews, subset: V_1}}]",
            fieldPath: "spec.http[0].route[0].destination.subset", reason: "subset name is invalid"),
        Case(
            name: "wildcard destination", http: "- route: [{destination: {host: \"*\"}}]",
            fieldPath: "spec.http[0].route[0].destination.host", reason: "invalid destination host"),
        Case(
            name: "cors method",
            http: "- route: [{destination: {host: reviews}}]\n  corsPolicy: {allowMethods: [FETCH]}",
            fieldPath: "spec.http[0].corsPolicy.allowMethods[0]", reason: "not a supported HTTP method"),
        Case(
            name: "cors origin",
            http: "- route: [{destination: {host: reviews}}]\n  corsPolicy: {allowOrigins: [{exact: \"\"}]}",
            fieldPath: "spec.http[0].corsPolicy.allowOrigins[0]", reason: "not a valid match type"),
        Case(
            name: "cors max age", http: "- route: [{destination: {host: reviews}}]\n  corsPolicy: {maxAge: 1500ms}",
            fieldPath: "spec.http[0].corsPolicy.maxAge", reason: "seconds precision"),
        Case(
            name: "root route with a route",
            http: "- delegate: {name: child}\n  route: [{destination: {host: reviews}}]",
            fieldPath: "spec.http[0].route", reason: "root HTTP route must not specify route"),
    ]

    @Test("refused with its field path and reason", arguments: invalid)
    func refused(_ invalid: Case) throws {
        let http = invalid.http.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }
            .joined(separator: "\n")
        let result = decode(virtualService(http: http))
        #expect(result.objects.isEmpty, "\(invalid.name) was accepted")
        let error = try #require(result.errors.first, "\(invalid.name): no error")
        #expect(result.errors.count == 1, "\(result.errors.map(\.description))")
        #expect(error.fieldPath == invalid.fieldPath, "\(error.description)")
        #expect(error.reason.contains(invalid.reason), "\(error.description)")
        #expect(error.object == ResourceKey(kind: .virtualService, namespace: "bookinfo", name: "reviews"))
    }

    @Test("weights are relative, as in Istio: 50 + 40 is accepted")
    func relativeWeights() {
        let result = decode(
            virtualService(
                http: """
                      - route:
                        - destination: {host: reviews, subset: v1}
                          weight: 50
                        - destination: {host: reviews, subset: v2}
                          weight: 40
                    """))
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
    }

    @Test("a full-featured valid route is accepted")
    func validRoute() {
        let result = decode(
            virtualService(
                http: """
                      - match:
                        - uri: {prefix: ""}
                          headers: {x-a: {}, ":method": {exact: GET}}
                          withoutHeaders: {x-b: {regex: "*"}}
                          sourceLabels: {app.kubernetes.io/name: productpage}
                          sourceNamespace: frontend
                          gateways: [mesh, istio-system/edge]
                        route:
                        - destination: {host: reviews}
                          headers: {request: {set: {host: reviews.internal}}}
                        timeout: 5s
                        retries: {attempts: 3, retryOn: "gateway-error,503,reset-before-request", perTryTimeout: 1s}
                        fault: {delay: {fixedDelay: 100ms, percentage: {value: 0.5}}, abort: {grpcStatus: UNAVAILABLE, percentage: {value: 1}}}
                        mirrors: [{destination: {host: shadow, port: {number: 8080}}, percentage: {value: 10}}]
                        corsPolicy: {allowOrigins: [{prefix: "https://"}], allowMethods: [GET], allowHeaders: ["*"], maxAge: 1h}
                        headers: {request: {add: {x-when: "%START_TIME%", x-pct: "100%%"}}}
                    """))
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
    }

    @Test("a delegate VirtualService has no hosts and no gateways; its routes may not delegate again")
    func delegateRules() {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: child, namespace: team}
            spec:
              gateways: [edge]
              http:
              - delegate: {name: grandchild}
            """)
        // istiod also reports that the route then has nowhere to go.
        #expect(
            Set(result.errors.map(\.fieldPath)) == ["spec.gateways", "spec.http[0].delegate", "spec.http[0].route"])
    }

    @Test("host rules: the mesh may not use *, hosts must be DNS names, and no host twice")
    func hostRules() {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: hosts, namespace: default}
            spec:
              hosts: ["*", "Bad_Host", "*.example.com", "api.example.com"]
              http:
              - route: [{destination: {host: a}}]
            """)
        #expect(
            result.errors.map(\.fieldPath).sorted() == ["spec.hosts[0]", "spec.hosts[1]"],
            "\(result.errors.map(\.description))")
        let duplicates = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: hosts, namespace: default}
            spec:
              hosts: ["*.example.com", "api.example.com"]
              http:
              - route: [{destination: {host: a}}]
            """)
        #expect(duplicates.errors.map(\.fieldPath) == ["spec.hosts[1]"])
        #expect(duplicates.errors.first?.reason.contains("duplicate hosts") == true)
    }
}
