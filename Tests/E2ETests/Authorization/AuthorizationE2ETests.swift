import Foundation
import MeshTestSupport
import Testing

/// AuthorizationPolicy and RequestAuthentication enforced through real Envoys (issue 14): meshd translates the
/// policies, the pod sidecars and the ingress gateway enforce them, and each scenario asserts, and counts, the
/// status codes a user would see. Identities are real: every sidecar holds a workload certificate from meshd's
/// CA over SDS, and the servers see the clients' SPIFFE identities through mutual TLS.
///
/// One mesh (`AuthzMesh`) serves the suite; every test puts its own complete set of policies in force first.
/// The scenarios live in extensions by concern (`+Rules`, `+JWT`, `+Extensions`).
@Suite(
    "AuthorizationPolicy and RequestAuthentication end to end (meshd + real Envoys)", .serialized, .authzMesh,
    .tags(.e2e))
struct AuthorizationE2ETests {
    static let sleepPrincipal = "cluster.local/ns/foo/sa/sleep"
    static let otherPrincipal = "cluster.local/ns/foo/sa/other"

    static let allowNothing = PolicyDocument.authorizationPolicy("allow-nothing", namespace: "istio-system", spec: "{}")

    @Test("mesh-wide allow-nothing refuses everyone; a namespace ALLOW for one service account lets only it in")
    func meshWideAllowNothingThenNamespaceAllow() async throws {
        let mesh = try AuthzMesh.require()
        let scenario = "allow-nothing"
        try await mesh.apply([Self.allowNothing], scenario: scenario)
        for client in [mesh.sleep, mesh.other, mesh.barSleep] {
            try await mesh.expect(403, AuthzRequest("/get"), from: client.pod, to: .httpbin)
            try await mesh.expect(403, AuthzRequest("/get"), from: client.pod, to: .demo)
        }
        // The gateway refuses on its own: its RBAC counts the refusals (httpbin would refuse it as well).
        let gatewayBefore = try Self.rbacCounters(mesh.ingress)
        try await mesh.expect(403, AuthzRequest("/get"), from: mesh.plain, to: .gateway)
        let gatewayDenied = try Self.rbacCounters(mesh.ingress).denied - gatewayBefore.denied
        #expect(gatewayDenied == 3, "the gateway's RBAC denied \(gatewayDenied) of 3 requests")
        try mesh.finish(scenario)

        let allowSleep = PolicyDocument.authorizationPolicy(
            "allow-sleep", namespace: "foo",
            spec: """
                action: ALLOW
                rules:
                - from:
                  - source:
                      principals: ["\(Self.sleepPrincipal)"]
                """)
        let then = "allow-nothing + namespace ALLOW for foo/sleep"
        try await mesh.apply([Self.allowNothing, allowSleep], scenario: then)
        try await mesh.expect(200, AuthzRequest("/get"), from: mesh.sleep.pod, to: .httpbin)
        try await mesh.expect(200, AuthzRequest("POST", "/post"), from: mesh.sleep.pod, to: .demo)
        try await mesh.expect(403, AuthzRequest("/get"), from: mesh.other.pod, to: .httpbin)
        try await mesh.expect(403, AuthzRequest("/get"), from: mesh.other.pod, to: .demo)
        // The same service account name in another namespace is another identity.
        try await mesh.expect(403, AuthzRequest("/get"), from: mesh.barSleep.pod, to: .httpbin)
        // The namespace policy does not reach the gateway in istio-system, which the root policy still closes.
        try await mesh.expect(403, AuthzRequest("/get"), from: mesh.plain, to: .gateway)
        try mesh.finish(then)
    }

    @Test("DENY by method and path (exact, prefix, suffix, notPaths); everything else passes")
    func denyByPathAndMethod() async throws {
        let mesh = try AuthzMesh.require()
        let scenario = "DENY by path and method"
        let deny = PolicyDocument.authorizationPolicy(
            "deny-writes-and-secrets", namespace: "foo",
            spec: """
                selector:
                  matchLabels: {app: httpbin}
                action: DENY
                rules:
                - to:
                  - operation: {methods: ["POST", "PUT"], paths: ["/admin/*"]}
                - to:
                  - operation: {methods: ["DELETE"]}
                - to:
                  - operation: {paths: ["/secret", "*/internal"]}
                - to:
                  - operation: {methods: ["PATCH"], notPaths: ["/public/*"]}
                """)
        try await mesh.apply([deny], scenario: scenario)
        let client = mesh.sleep.pod
        let cases: [(Int, AuthzRequest)] = [
            (200, AuthzRequest("GET", "/admin/users")),
            (403, AuthzRequest("POST", "/admin/users")),
            (403, AuthzRequest("PUT", "/admin/users/1")),
            (200, AuthzRequest("POST", "/data")),
            (403, AuthzRequest("DELETE", "/data")),
            (403, AuthzRequest("GET", "/secret")),
            (200, AuthzRequest("GET", "/secret/not-exact")),
            (403, AuthzRequest("GET", "/api/internal")),
            (200, AuthzRequest("GET", "/api/internal/more")),
            (200, AuthzRequest("PATCH", "/public/page")),
            (403, AuthzRequest("PATCH", "/private/page")),
        ]
        for (status, request) in cases { try await mesh.expect(status, request, from: client, to: .httpbin) }
        // The policy selects httpbin only.
        try await mesh.expect(200, AuthzRequest("DELETE", "/data"), from: client, to: .demo)
        try mesh.finish(scenario)
    }

    @Test("DENY by Istio path templates: {*} is one segment, {**} (last) any number of them")
    func denyByPathTemplate() async throws {
        let mesh = try AuthzMesh.require()
        let scenario = "DENY by path template"
        let deny = PolicyDocument.authorizationPolicy(
            "deny-templates", namespace: "foo",
            spec: """
                selector:
                  matchLabels: {app: httpbin}
                action: DENY
                rules:
                - to:
                  - operation: {paths: ["/users/{*}/keys", "/files/{**}"]}
                """)
        try await mesh.apply([deny], scenario: scenario)
        let client = mesh.sleep.pod
        let cases: [(Int, AuthzRequest)] = [
            (403, AuthzRequest("/users/alice/keys")),
            (200, AuthzRequest("/users/alice/bob/keys")),
            (200, AuthzRequest("/users/alice/keys/1")),
            (403, AuthzRequest("/files/a")),
            (403, AuthzRequest("/files/a/b/c")),
            (200, AuthzRequest("/filesystem/a")),
            (200, AuthzRequest("/other/files/a")),
        ]
        for (status, request) in cases { try await mesh.expect(status, request, from: client, to: .httpbin) }
        try mesh.finish(scenario)
    }

    @Test("ALLOW by source namespace: only the client from bar gets in")
    func allowByNamespace() async throws {
        let mesh = try AuthzMesh.require()
        let scenario = "ALLOW by namespace"
        let allow = PolicyDocument.authorizationPolicy(
            "allow-bar", namespace: "foo",
            spec: """
                selector:
                  matchLabels: {app: httpbin}
                action: ALLOW
                rules:
                - from:
                  - source: {namespaces: ["bar"]}
                """)
        try await mesh.apply([allow], scenario: scenario)
        try await mesh.expect(200, AuthzRequest("/get"), from: mesh.barSleep.pod, to: .httpbin)
        try await mesh.expect(403, AuthzRequest("/get"), from: mesh.sleep.pod, to: .httpbin)
        try await mesh.expect(403, AuthzRequest("/get"), from: mesh.other.pod, to: .httpbin)
        // demo-app has no policy: open.
        try await mesh.expect(200, AuthzRequest("/get"), from: mesh.sleep.pod, to: .demo)
        try mesh.finish(scenario)
    }

    @Test("ALLOW by ipBlocks: only the client whose address is in the block gets in")
    func allowByIPBlocks() async throws {
        let mesh = try AuthzMesh.require()
        let scenario = "ALLOW by ipBlocks"
        let allow = PolicyDocument.authorizationPolicy(
            "allow-other-ip", namespace: "foo",
            spec: """
                selector:
                  matchLabels: {app: httpbin}
                action: ALLOW
                rules:
                - from:
                  - source: {ipBlocks: ["\(mesh.other.pod.ip)/32"]}
                """)
        try await mesh.apply([allow], scenario: scenario)
        try await mesh.expect(200, AuthzRequest("/get"), from: mesh.other.pod, to: .httpbin)
        try await mesh.expect(403, AuthzRequest("/get"), from: mesh.sleep.pod, to: .httpbin)
        try await mesh.expect(403, AuthzRequest("/get"), from: mesh.barSleep.pod, to: .httpbin)
        try mesh.finish(scenario)
    }

    @Test("ALLOW when a request header has one of the values")
    func whenHeader() async throws {
        let mesh = try AuthzMesh.require()
        let scenario = "when request.headers"
        let allow = PolicyDocument.authorizationPolicy(
            "allow-admins-header", namespace: "foo",
            spec: """
                selector:
                  matchLabels: {app: httpbin}
                action: ALLOW
                rules:
                - when:
                  - key: request.headers[x-user-group]
                    values: ["admins", "operators"]
                """)
        try await mesh.apply([allow], scenario: scenario)
        let client = mesh.sleep.pod
        try await mesh.expect(
            200, AuthzRequest("/get", headers: ["x-user-group": "admins"]), from: client, to: .httpbin)
        try await mesh.expect(
            200, AuthzRequest("/get", headers: ["x-user-group": "operators"]), from: client, to: .httpbin)
        try await mesh.expect(403, AuthzRequest("/get", headers: ["x-user-group": "users"]), from: client, to: .httpbin)
        try await mesh.expect(403, AuthzRequest("/get"), from: client, to: .httpbin)
        try mesh.finish(scenario)
    }

    @Test(
        "a TCP policy on a TCP port: the allowed client's bytes are echoed, others are cut off; HTTP-only ALLOW rules match nothing on TCP"
    )
    func tcpAllowPolicy() async throws {
        let mesh = try AuthzMesh.require()
        let scenario = "TCP ALLOW"
        let allowSleepTCP = PolicyDocument.authorizationPolicy(
            "allow-sleep-tcp", namespace: "foo",
            spec: """
                selector:
                  matchLabels: {app: httpbin}
                action: ALLOW
                rules:
                - from:
                  - source:
                      principals: ["\(Self.sleepPrincipal)"]
                  to:
                  - operation:
                      ports: ["\(AuthzConfig.tcpPort)"]
                """)
        // An ALLOW rule with an HTTP-only field: on the TCP port it matches nothing.
        let allowOtherGet = PolicyDocument.authorizationPolicy(
            "allow-other-get", namespace: "foo",
            spec: """
                selector:
                  matchLabels: {app: httpbin}
                action: ALLOW
                rules:
                - from:
                  - source:
                      principals: ["\(Self.otherPrincipal)"]
                  to:
                  - operation:
                      methods: ["GET"]
                """)
        try await mesh.apply([allowSleepTCP, allowOtherGet], scenario: scenario)
        try await mesh.expectTCP(allowed: true, from: mesh.sleep.pod)
        try await mesh.expectTCP(allowed: false, from: mesh.other.pod)
        try await mesh.expectTCP(allowed: false, from: mesh.barSleep.pod)
        // On the HTTP port, the first rule's port does not match and the second one's method does.
        try await mesh.expect(403, AuthzRequest("/get"), from: mesh.sleep.pod, to: .httpbin)
        try await mesh.expect(200, AuthzRequest("/get"), from: mesh.other.pod, to: .httpbin)
        try await mesh.expect(403, AuthzRequest("POST", "/post"), from: mesh.other.pod, to: .httpbin)
        try mesh.finish(scenario)
    }

    @Test("a TCP DENY rule with HTTP-only fields drops them on TCP and so denies more")
    func tcpDenyPolicy() async throws {
        let mesh = try AuthzMesh.require()
        let scenario = "TCP DENY"
        let deny = PolicyDocument.authorizationPolicy(
            "deny-bar-private", namespace: "foo",
            spec: """
                selector:
                  matchLabels: {app: httpbin}
                action: DENY
                rules:
                - from:
                  - source: {namespaces: ["bar"]}
                  to:
                  - operation: {paths: ["/private/*"]}
                """)
        try await mesh.apply([deny], scenario: scenario)
        try await mesh.expectTCP(allowed: false, from: mesh.barSleep.pod)
        try await mesh.expectTCP(allowed: true, from: mesh.sleep.pod)
        try await mesh.expect(200, AuthzRequest("/public/page"), from: mesh.barSleep.pod, to: .httpbin)
        try await mesh.expect(403, AuthzRequest("/private/page"), from: mesh.barSleep.pod, to: .httpbin)
        try await mesh.expect(200, AuthzRequest("/private/page"), from: mesh.sleep.pod, to: .httpbin)
        try mesh.finish(scenario)
    }
}
