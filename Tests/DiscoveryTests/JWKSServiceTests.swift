import Foundation
import Logging
import MeshModel
import MeshTestSupport
import Testing

@testable import Discovery

/// Two small but well-formed key sets (RSA public keys; only their shape matters here).
enum JWKSFixtures {
    static let setA =
        #"{"keys":[{"kty":"RSA","kid":"a","alg":"RS256","use":"sig","e":"AQAB","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw"}]}"#
    static let setB =
        #"{"keys":[{"kty":"EC","kid":"b","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#
}

/// A RequestAuthentication in `namespace` whose one rule names `uri`.
func requestAuthenticationSnapshot(uri: String, namespace: String = "default", timeout: Double? = nil) -> MeshSnapshot {
    var snapshot = MeshSnapshot(
        version: "base", services: [], endpoints: [:], workloads: [], virtualServicesByHost: [:],
        destinationRulesByHost: [:],
        objects: [:])
    let policy = RequestAuthentication(
        meta: ObjectMeta(name: "jwt", namespace: namespace),
        jwtRules: [
            JWTRule(issuer: "https://issuer.example", jwksURI: uri, timeoutSeconds: timeout),
            JWTRule(issuer: "inline", jwksURI: "http://127.0.0.1:1/never", jwks: JWKSFixtures.setB),
        ])
    snapshot.indexSecurityPolicies(authorization: [], requestAuthentication: [policy])
    return snapshot
}

@Suite("JWKS document validation")
struct JWKSDocumentTests {
    @Test func acceptsRSAAndECKeySets() throws {
        #expect(try JWKSDocument.validate(Data(JWKSFixtures.setA.utf8)) == JWKSFixtures.setA)
        #expect(try JWKSDocument.validate(Data(JWKSFixtures.setB.utf8)) == JWKSFixtures.setB)
    }

    @Test(arguments: [
        ("not json at all", "not JSON"),
        (#"[{"kty":"RSA"}]"#, "top level"),
        (#"{"kid":"x"}"#, "no \"keys\""),
        (#"{"keys":[]}"#, "empty"),
        (#"{"keys":[{"kty":"RSA","e":"AQAB"}]}"#, "has no \"n\""),
        (#"{"keys":[{"kty":"EC","crv":"P-256","x":"abc"}]}"#, "has no \"y\""),
        (#"{"keys":[{"kty":"XYZ"}]}"#, "not RSA, EC"),
    ])
    func refusesWhatIsNotAKeySet(body: String, reason: String) {
        #expect {
            try JWKSDocument.validate(Data(body.utf8))
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func refusesOversizeBodies() {
        #expect(throws: JWKSError.tooLarge(limit: 100)) {
            try JWKSDocument.validate(Data(JWKSFixtures.setA.utf8), limit: 100)
        }
    }

    @Test func collectsTheURIsOfRulesWithoutInlineKeys() {
        let references = requestAuthenticationSnapshot(uri: "http://issuer/jwks", timeout: 2).jwksReferences
        #expect(references.keys.sorted() == ["http://issuer/jwks"])
        #expect(
            references["http://issuer/jwks"]?.first?.description
                == "RequestAuthentication default/jwt jwtRules[0] (issuer https://issuer.example)")
        #expect(JWKSSettings().timeout(for: references["http://issuer/jwks"] ?? []) == .seconds(2))
        #expect(JWKSSettings().timeout(for: []) == .seconds(5))
    }

    @Test func keysChangeTheSnapshotVersion() {
        let base = requestAuthenticationSnapshot(uri: "http://issuer/jwks")
        let a = base.withFetchedJWKS(["http://issuer/jwks": JWKSFixtures.setA])
        let b = base.withFetchedJWKS(["http://issuer/jwks": JWKSFixtures.setB])
        #expect(base.withFetchedJWKS([:]).version == base.version)
        #expect(a.version != base.version)
        #expect(a.version != b.version)
        #expect(a.version == base.withFetchedJWKS(["http://issuer/jwks": JWKSFixtures.setA]).version)
        #expect(a.fetchedJWKS["http://issuer/jwks"] == JWKSFixtures.setA)
    }
}

@Suite("JWKS fetching from 127.0.0.1", .serialized)
struct JWKSServiceTests {
    static func quickSettings() -> JWKSSettings {
        var settings = JWKSSettings()
        settings.refreshInterval = .milliseconds(200)
        settings.retryInterval = .milliseconds(100)
        settings.tick = .milliseconds(20)
        return settings
    }

    /// Runs a JWKS service over one fixed snapshot while `body` runs.
    static func running<T: Sendable>(
        _ snapshot: MeshSnapshot, settings: JWKSSettings = quickSettings(),
        _ body: @Sendable (JWKSService) async throws -> T
    ) async throws -> T {
        let (stream, continuation) = AsyncStream.makeStream(of: MeshSnapshot.self)
        continuation.yield(snapshot)
        var logger = Logger(label: "jwks-test")
        logger.logLevel = .critical
        let service = JWKSService(snapshots: { stream }, fetcher: HTTPJWKSFetcher(), settings: settings, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await service.run()
                return nil
            }
            defer {
                continuation.finish()
                group.cancelAll()
            }
            let result = try await body(service)
            return result
        }
    }

    /// The first snapshot handed on that satisfies `condition`, within a bounded wait.
    static func next(
        _ snapshots: AsyncStream<MeshSnapshot>, _ what: String,
        where condition: @escaping @Sendable (MeshSnapshot) -> Bool
    ) async throws -> MeshSnapshot {
        try await withThrowingTaskGroup(of: MeshSnapshot?.self) { group in
            group.addTask {
                for await snapshot in snapshots where condition(snapshot) { return snapshot }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                return nil
            }
            defer { group.cancelAll() }
            guard let found = try await group.next() ?? nil else {
                throw HarnessError("no snapshot with \(what) within 10 s")
            }
            return found
        }
    }

    @Test func fetchesBeforeTheFirstPushThenRefreshesOnChange() async throws {
        let issuer = StaticHTTPServer(.init(body: JWKSFixtures.setA))
        try await issuer.serving { port in
            let uri = "http://127.0.0.1:\(port)/jwks"
            let base = requestAuthenticationSnapshot(uri: uri)
            try await Self.running(base) { service in
                let snapshots = service.snapshots()
                let first = try await Self.next(snapshots, "any snapshot") { _ in true }
                #expect(
                    first.fetchedJWKS == [uri: JWKSFixtures.setA], "the first snapshot handed on already has the keys")
                #expect(first.version != base.version)
                // The inline rule's URI is never fetched.
                #expect(service.status().map(\.uri) == [uri])
                issuer.set(.init(body: JWKSFixtures.setB))
                let rotated = try await Self.next(snapshots, "the rotated key set") {
                    $0.fetchedJWKS[uri] == JWKSFixtures.setB
                }
                #expect(rotated.version != first.version, "a key change is a new version, so a push")
            }
        }
    }

    @Test(arguments: [
        StaticHTTPServer.Reply(status: 500, body: "oops"),
        StaticHTTPServer.Reply(body: "<html>not json</html>"),
        StaticHTTPServer.Reply(body: #"{"keys":[]}"#),
        StaticHTTPServer.Reply(
            body: #"{"keys":[{"kty":"RSA","e":"AQAB","n":""# + String(repeating: "A", count: 600 * 1024) + #""}]}"#),
    ])
    func aFailedFetchKeepsTheLastGoodKeySet(failure: StaticHTTPServer.Reply) async throws {
        let issuer = StaticHTTPServer(.init(body: JWKSFixtures.setA))
        try await issuer.serving { port in
            let uri = "http://127.0.0.1:\(port)/jwks"
            try await Self.running(requestAuthenticationSnapshot(uri: uri)) { service in
                let snapshots = service.snapshots()
                _ = try await Self.next(snapshots, "the first key set") { $0.fetchedJWKS[uri] == JWKSFixtures.setA }
                issuer.set(failure)
                let before = issuer.requestCount
                let failed = try await Poll.until(
                    "a refused refresh", timeout: .seconds(10), interval: .milliseconds(20)
                ) {
                    service.status().first.flatMap {
                        $0.entry.lastError != nil && issuer.requestCount > before ? $0 : nil
                    }
                }
                #expect(failed.entry.keys == JWKSFixtures.setA)
                #expect(service.keys() == [uri: JWKSFixtures.setA], "the last good key set stays in force")
            }
        }
    }

    @Test(arguments: [
        StaticHTTPServer.Reply(status: 404, body: "{}"),
        StaticHTTPServer.Reply(body: "{not json"),
        StaticHTTPServer.Reply(body: JWKSFixtures.setA, delay: .seconds(3)),
    ])
    func noKeySetFailsClosed(reply: StaticHTTPServer.Reply) async throws {
        let issuer = StaticHTTPServer(reply)
        try await issuer.serving { port in
            let uri = "http://127.0.0.1:\(port)/jwks"
            // A 1 s rule timeout, so the slow issuer times out.
            let base = requestAuthenticationSnapshot(uri: uri, timeout: 1)
            try await Self.running(base) { service in
                let first = try await Self.next(service.snapshots(), "any snapshot") { _ in true }
                #expect(
                    first.fetchedJWKS.isEmpty, "no key set: the translator gives the provider keys that verify nothing")
                #expect(first.version == base.version)
                let status = try #require(service.status().first)
                #expect(status.entry.keys == nil)
                #expect(status.entry.lastError != nil)
                #expect(
                    status.references.map(\.description) == [
                        "RequestAuthentication default/jwt jwtRules[0] (issuer https://issuer.example)"
                    ])
            }
        }
    }

    @Test func theFetcherBoundsTheBodyAndNamesTheStatus() async throws {
        let issuer = StaticHTTPServer(.init(body: JWKSFixtures.setA))
        try await issuer.serving { port in
            let fetcher = HTTPJWKSFetcher()
            let uri = "http://127.0.0.1:\(port)/jwks"
            let body: Data = try await fetcher.fetch(uri, timeout: .seconds(5), limit: 4096)
            #expect(body == Data(JWKSFixtures.setA.utf8))
            await #expect(throws: JWKSError.tooLarge(limit: 64)) {
                _ = try await fetcher.fetch(uri, timeout: .seconds(5), limit: 64)
            }
            issuer.set(.init(status: 503, body: "down"))
            await #expect(throws: JWKSError.httpStatus(503)) {
                _ = try await fetcher.fetch(uri, timeout: .seconds(5), limit: 4096)
            }
        }
    }
}
