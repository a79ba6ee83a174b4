import MeshModel
import Testing
import XDSServer

@testable import AdminServer

/// A sent resource carries only the keys of the objects it was generated from; the NACK explanation looks up where
/// each is written when it is asked, in the configuration as it is then.
@Suite("NACK explanation: source locations looked up on read")
struct NackSourceLocationTests {
    static let reviews = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
          namespace: default
        spec:
          hosts: [reviews]
          http:
          - route:
            - destination: {host: reviews}
        """

    static func snapshot(_ yaml: String) throws -> MeshSnapshot {
        let decoded = ConfigDecoder.decode(yaml: yaml, file: "mesh.yaml")
        try #require(decoded.errors.isEmpty, "\(decoded.errors)")
        return MeshSnapshot.build(from: decoded.objects)
    }

    static let key = ResourceKey(kind: .virtualService, namespace: "default", name: "reviews")
    static let gone = ResourceKey(kind: .destinationRule, namespace: "default", name: "reviews")

    static func sent() throws -> [XDSResource] {
        [try XDSResource(name: "9080", encoded: [1, 2, 3]).withSources([gone, key])]
    }

    @Test("the line is where the object is now, not where it was when the resource was generated")
    func lineFollowsTheFile() throws {
        let before = try Self.snapshot(Self.reviews)
        // The same object, unchanged, moved down by a document above it: its resource's bytes do not change.
        let after = try Self.snapshot(
            """
            apiVersion: v1
            kind: Service
            metadata: {name: ratings, namespace: default}
            spec:
              ports: [{name: http, port: 9080}]
            ---
            \(Self.reviews)
            """)
        let first = NackExplanationJSON.sources(
            of: ["9080"], error: "bad route", in: try Self.sent(), locate: { before.objects[$0]?.source })
        let second = NackExplanationJSON.sources(
            of: ["9080"], error: "bad route", in: try Self.sent(), locate: { after.objects[$0]?.source })

        #expect(first.map(\.object) == ["DestinationRule/default/reviews", "VirtualService/default/reviews"])
        #expect(first.map(\.source) == ["no longer in the configuration", "mesh.yaml:1 (document 1)"])
        #expect(second.map(\.source) == ["no longer in the configuration", "mesh.yaml:7 (document 2)"])
    }

    @Test("quoted RBAC policy names narrow the security policies, by key")
    func quotedPoliciesNarrowByKey() throws {
        let allow = ResourceKey(kind: .authorizationPolicy, namespace: "shop", name: "allow-get")
        let deny = ResourceKey(kind: .authorizationPolicy, namespace: "shop", name: "deny-admin")
        let jwt = ResourceKey(kind: .requestAuthentication, namespace: "shop", name: "jwt")
        let sent = [try XDSResource(name: "virtualInbound", encoded: [7]).withSources([allow, deny, jwt, Self.key])]
        let sources = NackExplanationJSON.sources(
            of: ["virtualInbound"], error: "Error adding listener: ns[shop]-policy[deny-admin]-rule[0]: bad",
            in: sent, locate: { _ in nil })
        #expect(sources.map(\.object) == ["AuthorizationPolicy/shop/deny-admin", "VirtualService/default/reviews"])
    }
}
