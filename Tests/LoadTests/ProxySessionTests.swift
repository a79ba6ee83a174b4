import Foundation
import EnvoyAPI
import SyntheticMesh
import Testing

@testable import meshd_load

/// The simulated proxy must follow Envoy's request sequence, or its figures say nothing about real sidecars.
@Suite struct ProxySessionTests {
    func response(_ kind: XDSKind, version: String, nonce: String) -> ProxySession.Response {
        var response = ProxySession.Response()
        response.typeURL = kind.typeURL
        response.versionInfo = version
        response.nonce = nonce
        return response
    }

    @Test func subscribesLikeEnvoyAndSyncsAfterAllFourAcks() {
        var session = ProxySession(node: Envoy_Config_Core_V3_Node(), nacks: false)
        let first = session.start()
        #expect(first.map(\.typeURL) == [XDSKind.cluster.typeURL, XDSKind.listener.typeURL])
        #expect(first[0].hasNode && !first[1].hasNode)

        let cds = session.received(
            response(.cluster, version: "c1", nonce: "1"), kind: .cluster, contentHash: 1, followUpNames: ["a", "b"])
        #expect(cds.map(\.typeURL) == [XDSKind.cluster.typeURL, XDSKind.endpoint.typeURL])
        #expect(cds[0].versionInfo == "c1" && cds[0].responseNonce == "1")
        #expect(cds[1].resourceNames == ["a", "b"])
        #expect(!session.isSynced)

        _ = session.received(
            response(.listener, version: "l1", nonce: "2"), kind: .listener, contentHash: 2, followUpNames: ["80"])
        _ = session.received(
            response(.endpoint, version: "e1", nonce: "3"), kind: .endpoint, contentHash: 3, followUpNames: nil)
        #expect(!session.isSynced)
        let rds = session.received(
            response(.route, version: "r1", nonce: "4"), kind: .route, contentHash: 4, followUpNames: nil)
        #expect(rds.count == 1 && rds[0].resourceNames == ["80"] && rds[0].responseNonce == "4")
        #expect(session.isSynced)

        // The same CDS names again: only an ACK, no new EDS subscription.
        let again = session.received(
            response(.cluster, version: "c2", nonce: "5"), kind: .cluster, contentHash: 5, followUpNames: ["a", "b"])
        #expect(again.count == 1)
    }

    @Test func nackingProxyRejectsRoutesWithErrorDetail() {
        var session = ProxySession(node: Envoy_Config_Core_V3_Node(), nacks: true)
        _ = session.start()
        _ = session.received(
            response(.listener, version: "l1", nonce: "1"), kind: .listener, contentHash: 1, followUpNames: ["80"])
        let nack = session.received(
            response(.route, version: "r1", nonce: "2"), kind: .route, contentHash: 2, followUpNames: nil)
        #expect(nack.count == 1)
        #expect(nack[0].hasErrorDetail && nack[0].versionInfo == "" && nack[0].responseNonce == "2")
    }
}

/// The Delta proxy's content hash, which convergence is judged by, is kept up to date entry by entry: it must always
/// equal the hash recomputed from everything held, and move when any held resource changes.
@Suite struct DeltaProxySessionTests {
    typealias Response = DeltaProxySession.Response

    func response(_ kind: XDSKind, _ resources: [(String, String)], removed: [String] = [], nonce: String)
        -> Response
    {
        var response = Response()
        response.typeURL = kind.typeURL
        response.nonce = nonce
        response.resources = resources.map { name, content in
            var resource = Envoy_Service_Discovery_V3_Resource()
            resource.name = name
            resource.version = "v-\(content)"
            resource.resource.value = Data(content.utf8)
            return resource
        }
        response.removedResources = removed
        return response
    }

    /// The hash as a walk over everything held would compute it.
    func recomputed(_ session: DeltaProxySession, _ kind: XDSKind) -> Int {
        session.held[kind.rawValue].reduce(0) { $0 ^ (($1.key.hashValue &* 31) &+ $1.value.hash) }
    }

    @discardableResult
    func apply(_ response: Response, _ kind: XDSKind, to session: inout DeltaProxySession) -> [DeltaProxySession.Request] {
        session.received(
            response, kind: kind, hashOf: { Int(truncatingIfNeeded: $0.resource.value.reduce(7) { $0 &* 31 &+ Int($1) }) },
            followUp: { resource, _ in kind == .cluster ? [resource.name] : [] }
        ).requests
    }

    @Test func theContentHashFollowsEveryUpdateRemovalAndUnsubscription() {
        var session = DeltaProxySession(node: Envoy_Config_Core_V3_Node(), nacks: false)
        _ = session.start()
        #expect(session.contentHash(.endpoint) == 0)
        apply(response(.cluster, [("a", "ca"), ("b", "cb"), ("c", "cc")], nonce: "1"), .cluster, to: &session)
        apply(response(.endpoint, [("a", "1"), ("b", "2"), ("c", "3")], nonce: "2"), .endpoint, to: &session)
        var seen: Set<Int> = [session.contentHash(.endpoint)]
        #expect(session.contentHash(.endpoint) == recomputed(session, .endpoint))
        #expect(session.contentHash(.cluster) == recomputed(session, .cluster))

        // One changed resource: the hash moves, and still equals the full walk.
        apply(response(.endpoint, [("b", "2-moved")], nonce: "3"), .endpoint, to: &session)
        #expect(seen.insert(session.contentHash(.endpoint)).inserted, "a changed resource changes the hash")
        #expect(session.contentHash(.endpoint) == recomputed(session, .endpoint))

        // Moving it back gives the earlier hash again: the hash is of what is held, not of the history.
        apply(response(.endpoint, [("b", "2")], nonce: "4"), .endpoint, to: &session)
        #expect(!seen.insert(session.contentHash(.endpoint)).inserted)
        #expect(session.contentHash(.endpoint) == recomputed(session, .endpoint))

        // A removal over Delta, and a cluster dropped from CDS (EDS unsubscribes its name and forgets it).
        apply(response(.endpoint, [], removed: ["a"], nonce: "5"), .endpoint, to: &session)
        #expect(session.held[XDSKind.endpoint.rawValue]["a"] == nil)
        #expect(session.contentHash(.endpoint) == recomputed(session, .endpoint))
        let requests = apply(response(.cluster, [], removed: ["c"], nonce: "6"), .cluster, to: &session)
        #expect(requests.contains { $0.resourceNamesUnsubscribe == ["c"] })
        #expect(session.held[XDSKind.endpoint.rawValue].keys.sorted() == ["b"])
        #expect(session.contentHash(.endpoint) == recomputed(session, .endpoint))
        #expect(session.contentHash(.cluster) == recomputed(session, .cluster))
    }
}
