import Foundation
import MeshTestSupport
import Testing

/// The pieces the authorization scenarios stand on, checked without meshd, so that a scenario failure points at
/// meshd and not at the test: the tokens this test mints verify in a real Envoy's stock `jwt_authn` filter (and
/// the forged, expired and wrong-audience ones fail there, with the statuses Envoy gives them), the JWKS is served from the root namespace's
/// 127.0.0.1, the ext_authz service answers from inside a pod, and the TCP echo pair echoes.
@Suite("Authorization harness (JWT minting, JWKS, ext_authz, TCP echo) without meshd", .serialized, .tags(.e2e))
struct AuthzHarnessTests {
    static let issuer = "https://issuer.harness.meshd.test"
    static let audience = "harness-audience"

    @Test(
        "minted ES256 and RS256 tokens verify in Envoy's jwt_authn; forged and expired ones get 401, a wrong audience 403"
    )
    func mintedTokensThroughStockEnvoy() async throws {
        let es256 = try JWTIssuer(issuer: Self.issuer, keyID: "harness-es256")
        let rs256 = try JWTIssuer(issuer: Self.issuer, keyID: "harness-rs256", algorithm: .rs256)
        let jwks = try JWTIssuer.jwks([es256, rs256])
        try await MeshNetwork.with(label: "authz-harness-jwt") { network in
            let pod = try network.addPod(name: "verifier")
            try pod.removeInterception()
            let envoy = try pod.startSidecar(bootstrapJSON: try Self.jwtBootstrap(nodeID: pod.nodeID, jwks: jwks))
            try await envoy.waitUntilReady()
            func send(_ headers: [String: String]) async throws -> AuthzOutcome {
                try await AuthzHTTPClient.send(
                    AuthzRequest("/verify", headers: headers), from: pod, address: "127.0.0.1", port: 10000,
                    host: "verifier", count: 2)
            }
            let cases: [(String, [String: String], Int)] = [
                (
                    "valid ES256",
                    ["authorization": "Bearer " + (try es256.token(subject: "alice", audiences: [Self.audience]))], 200
                ),
                (
                    "valid RS256",
                    ["authorization": "Bearer " + (try rs256.token(subject: "bob", audiences: [Self.audience]))], 200
                ),
                (
                    "custom header with prefix",
                    ["x-jwt-token": "Token " + (try es256.token(subject: "carol", audiences: [Self.audience]))], 200
                ),
                (
                    "forged",
                    [
                        "authorization": "Bearer "
                            + (try es256.impostor().token(subject: "mallory", audiences: [Self.audience]))
                    ], 401
                ),
                (
                    "expired",
                    [
                        "authorization": "Bearer "
                            + (try es256.token(subject: "alice", audiences: [Self.audience], lifetime: -600))
                    ], 401
                ),
                // Envoy's jwt_authn answers 403, not 401, for a token whose audience is not allowed (as Istio's
                // proxy, which runs the same filter, does).
                (
                    "wrong audience",
                    ["authorization": "Bearer " + (try es256.token(subject: "alice", audiences: ["someone-else"]))], 403
                ),
                ("no token (the filter requires one here)", [:], 401),
            ]
            for (name, headers, expected) in cases {
                let outcome = try await send(headers)
                #expect(outcome.all(expected), "\(name): expected \(expected), got \(outcome)")
            }
            #expect(try envoy.counter("http.verify.jwt_authn.allowed") == 6)
            #expect(try envoy.counter("http.verify.jwt_authn.denied") == 8)
        }
    }

    @Test("the JWKS is served from the root namespace's 127.0.0.1, and each fetch is counted")
    func jwksServedFromLoopback() async throws {
        let issuer = try JWTIssuer(issuer: Self.issuer, keyID: "harness-served")
        try await MeshNetwork.with(label: "authz-harness-jwks") { network in
            let server = try await JWKSServer.start(in: network, files: ["jwks.json": try JWTIssuer.jwks([issuer])])
            let before = server.fetches()
            let response = try HTTPProbe.get(server.uri())
            #expect(response.status == 200)
            let keys = try #require((try response.json() as? [String: Any])?["keys"] as? [[String: Any]])
            #expect(keys.count == 1)
            #expect(keys.first?["kid"] as? String == "harness-served" && keys.first?["kty"] as? String == "EC")
            _ = try await Poll.until("the fetch to be logged", timeout: .seconds(5)) {
                server.fetches() == before + 1 ? true : nil
            }
        }
    }

    @Test("ext_authz answers a request from another pod: 200 with the allow header, 403 without; both counted")
    func extAuthzAnswersInsideTheNetwork() async throws {
        try await MeshNetwork.with(label: "authz-harness-extauthz") { network in
            let authz = try network.addPod(name: "ext-authz", namespace: "foo")
            let client = try network.addPod(name: "client", namespace: "foo")
            for pod in [authz, client] { try pod.removeInterception() }
            let server = try await ExtAuthzServer.start(in: authz, network: network)
            let allowed = try await AuthzHTTPClient.send(
                AuthzRequest("/check/allowed", headers: ["x-ext-authz": "allow"]), from: client, address: authz.ip,
                port: server.port, host: "ext-authz", count: 3)
            let denied = try await AuthzHTTPClient.send(
                AuthzRequest("POST", "/check/denied", headers: ["x-ext-authz": "deny"]), from: client,
                address: authz.ip,
                port: server.port, host: "ext-authz", count: 2)
            #expect(allowed.all(200), "\(allowed)")
            #expect(allowed.answers.first?.headers.contains(["x-ext-authz-check-result", "allowed"]) == true)
            #expect(denied.all(403), "\(denied)")
            #expect(denied.answers.first?.body == "denied by ext_authz")
            let counts = try server.counts()
            #expect(counts.allowed == 3 && counts.denied == 2, "\(counts)")
            #expect(counts.paths == Array(repeating: "/check/allowed", count: 3) + ["/check/denied", "/check/denied"])
        }
    }

    @Test("the TCP echo server echoes between pods; a closed port is counted as refused")
    func tcpEchoBetweenPods() async throws {
        try await MeshNetwork.with(label: "authz-harness-tcp") { network in
            let server = try network.addPod(name: "tcp-echo")
            let client = try network.addPod(name: "client")
            for pod in [server, client] { try pod.removeInterception() }
            try await AuthzTCP.startServer(in: server, network: network, port: 9000)
            let echoed = try await AuthzTCP.connect(
                from: client, network: network, address: server.ip, port: 9000, count: 4)
            #expect(echoed.echoed == 4 && echoed.sent == 4, "\(echoed)")
            let refused = try await AuthzTCP.connect(
                from: client, network: network, address: server.ip, port: 9001, count: 2)
            #expect(refused.echoed == 0 && refused.outcomes["ConnectionRefusedError"] == 2, "\(refused)")
        }
    }

    /// A static Envoy: a listener on the pod's 127.0.0.1:10000 whose HTTP connection manager runs jwt_authn
    /// (one provider with an inline key set, tokens from `Authorization: Bearer` or `x-jwt-token: Token`), then
    /// answers 200 itself.
    static func jwtBootstrap(nodeID: String, jwks: String) throws -> String {
        let provider: [String: Any] = [
            "issuer": issuer, "audiences": [audience],
            "local_jwks": ["inline_string": jwks],
            "from_headers": [
                ["name": "Authorization", "value_prefix": "Bearer "],
                ["name": "x-jwt-token", "value_prefix": "Token "],
            ],
        ]
        let manager: [String: Any] = [
            "@type":
                "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
            "stat_prefix": "verify",
            "route_config": [
                "virtual_hosts": [
                    [
                        "name": "all", "domains": ["*"],
                        "routes": [
                            [
                                "match": ["prefix": "/"],
                                "direct_response": ["status": 200, "body": ["inline_string": "verified"]],
                            ]
                        ],
                    ]
                ]
            ],
            "http_filters": [
                [
                    "name": "envoy.filters.http.jwt_authn",
                    "typed_config": [
                        "@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
                        "providers": ["harness": provider],
                        "rules": [["match": ["prefix": "/"], "requires": ["provider_name": "harness"]]],
                    ],
                ],
                [
                    "name": "envoy.filters.http.router",
                    "typed_config": ["@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"],
                ],
            ],
        ]
        let bootstrap: [String: Any] = [
            "node": ["id": nodeID, "cluster": "harness"],
            "admin": ["address": ["socket_address": ["address": "127.0.0.1", "port_value": Sidecar.adminPort]]],
            "static_resources": [
                "listeners": [
                    [
                        "name": "verify",
                        "address": ["socket_address": ["address": "127.0.0.1", "port_value": 10000]],
                        "filter_chains": [
                            [
                                "filters": [
                                    ["name": "envoy.filters.network.http_connection_manager", "typed_config": manager]
                                ]
                            ]
                        ],
                    ]
                ]
            ],
        ]
        let data = try JSONSerialization.data(
            withJSONObject: bootstrap, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
