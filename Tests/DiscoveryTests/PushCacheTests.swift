import Discovery
import EnvoyAPI
import Logging
import MeshModel
import Synchronization
import Testing
import XDSServer

/// A mesh: service `reviews` in `bookinfo` with the given pods (name, ip, service account).
func reviewsMesh(pods: [(String, String, String)], generation: Int = 0) -> MeshSnapshot {
    var yaml = """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          selector: {app: reviews}
          clusterIP: 10.96.0.5
          ports: [{name: http, port: 9080, targetPort: 9080}]
        """
    for (name, ip, account) in pods {
        yaml += """

            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: \(name), namespace: bookinfo, labels: {app: reviews}}
            spec:
              serviceAccountName: \(account)
              containers: [{name: reviews, ports: [{containerPort: 9080}]}]
            status: {podIP: \(ip)}
            """
    }
    return MeshSnapshot.build(from: ConfigDecoder.decode(yaml: yaml, file: "mesh.yaml").objects)
}

func sidecar(_ ip: String, pod: String, namespace: String = "bookinfo") throws -> ProxyClient {
    var node = Envoy_Config_Core_V3_Node()
    node.id = "sidecar~\(ip)~\(pod).\(namespace)~\(namespace).svc.cluster.local"
    return try MeshResourceProvider(snapshot: MeshSnapshot.build(from: [])).admit(
        node: node, peer: PeerInfo(remotePeer: "test"))
}

/// The generation cache (one generation per distinct view, shared bytes) and the EDS fast path rule.
@Suite("Push engine: cache and fast path")
struct PushCacheTests {
    @Test func proxiesWithTheSameViewShareOneGenerationAndTheSameBytes() async throws {
        let provider = MeshResourceProvider(snapshot: reviewsMesh(pods: [("r1", "10.0.0.1", "reviews")]))
        let a = try sidecar("10.9.0.1", pod: "client-a")
        let b = try sidecar("10.9.0.2", pod: "client-b")
        let first = await provider.resources(.cluster, for: a)
        let cached = provider.cachedSets
        let second = await provider.resources(.cluster, for: b)
        #expect(provider.cachedSets == cached, "the second proxy with the same view generated nothing")
        #expect(first.resources == second.resources)
        let largest = try #require(first.resources.max { $0.byteCount < $1.byteCount })
        let same = try #require(second.resources.first { $0.name == largest.name })
        // Both values are alive here, so equal addresses mean one buffer, not a reused one.
        let addressA = largest.encoded.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        let addressB = same.encoded.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        #expect(addressA == addressB, "one serialised buffer, shared")

        let own = try sidecar("10.0.0.1", pod: "r1")
        let ownClusters = await provider.resources(.cluster, for: own)
        #expect(
            ownClusters.resources.map(\.name).contains("inbound|9080||"),
            "the workload's own view has its inbound cluster")
        #expect(!first.resources.map(\.name).contains("inbound|9080||"))
        let endpointsA = await provider.resources(.endpoint, for: a)
        let endpointsOwn = await provider.resources(.endpoint, for: own)
        #expect(endpointsA.resources == endpointsOwn.resources, "EDS reads only the namespace")
    }

    @Test func scalingUpIsEndpointOnlyButANewServiceAccountIsNot() {
        let before = reviewsMesh(pods: [("r1", "10.0.0.1", "reviews")])
        let scaled = reviewsMesh(pods: [("r1", "10.0.0.1", "reviews"), ("r2", "10.0.0.2", "reviews")])
        let otherAccount = reviewsMesh(pods: [("r1", "10.0.0.1", "reviews"), ("r2", "10.0.0.2", "reviews-canary")])
        func clustersAffected(_ new: MeshSnapshot) -> Bool {
            MeshResourceProvider(snapshot: before).affectedTypes(by: ChangeSet(from: before, to: new), to: new)
                .contains(.cluster)
        }
        #expect(
            MeshResourceProvider(snapshot: before).affectedTypes(by: ChangeSet(from: before, to: scaled), to: scaled)
                == [.endpoint])
        #expect(clustersAffected(otherAccount), "auto-mTLS SANs in CDS name the endpoints' accounts")
        #expect(clustersAffected(reviewsMesh(pods: [])), "a cluster losing every endpoint drops auto-mTLS")
    }

    @Test func anEndpointOnlyUpdateKeepsCDSCachedAndWidensThePushOnlyForTheProxyWhoseWorkloadChanged() async throws {
        let provider = MeshResourceProvider(snapshot: reviewsMesh(pods: [("r1", "10.0.0.1", "reviews")]))
        let client = try sidecar("10.9.0.1", pod: "client")
        let newcomer = try sidecar("10.0.0.2", pod: "r2")
        let clustersBefore = await provider.resources(.cluster, for: client)
        let endpointsBefore = await provider.resources(.endpoint, for: client)
        let scaled = reviewsMesh(pods: [("r1", "10.0.0.1", "reviews"), ("r2", "10.0.0.2", "reviews")])
        let types = provider.update(scaled, generation: 2, changes: ChangeSet(from: provider.snapshot, to: scaled))
        #expect(types == [.endpoint])
        let fast = PushRequest(types: types, generation: 2)
        #expect(provider.pushScope(fast, for: client) == fast)
        #expect(
            provider.pushScope(fast, for: newcomer).types.isSuperset(of: [.cluster, .endpoint, .listener]),
            "the proxy whose own pod appeared gets CDS and LDS too")
        let kept = provider.cachedSets
        let clustersAfter = await provider.resources(.cluster, for: client)
        #expect(provider.cachedSets == kept, "CDS came from the cache, not the translator")
        #expect(clustersAfter.resources == clustersBefore.resources)
        let endpointsAfter = await provider.resources(.endpoint, for: client)
        #expect(endpointsAfter.version != endpointsBefore.version, "EDS has the new endpoint")
    }

    @Test func anEndpointOnlyPushSendsOnlyEDS() async throws {
        let provider = MeshResourceProvider(snapshot: reviewsMesh(pods: [("r1", "10.0.0.1", "reviews")]))
        let ads = ADSServer(provider: provider, logger: Logger(label: "test"))
        let (requests, requestsIn) = AsyncStream.makeStream(of: Envoy_Service_Discovery_V3_DiscoveryRequest.self)
        let (responses, responsesIn) = AsyncStream.makeStream(of: Envoy_Service_Discovery_V3_DiscoveryResponse.self)
        var node = Envoy_Config_Core_V3_Node()
        node.id = "sidecar~10.9.0.1~client.bookinfo~bookinfo.svc.cluster.local"
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await ads.serveSotW(requests: requests, peer: PeerInfo(remotePeer: "test")) {
                    responsesIn.yield($0.message)
                }
            }
            var iterator = responses.makeAsyncIterator()
            for (index, type) in [XDSType.cluster, .endpoint, .listener, .route].enumerated() {
                var request = Envoy_Service_Discovery_V3_DiscoveryRequest()
                request.typeURL = type.rawValue
                if type == .endpoint { request.resourceNames = ["outbound|9080||reviews.bookinfo.svc.cluster.local"] }
                if type == .route { request.resourceNames = ["9080"] }
                if index == 0 { request.node = node }
                requestsIn.yield(request)
                _ = await iterator.next()
            }
            let scaled = reviewsMesh(pods: [("r1", "10.0.0.1", "reviews"), ("r2", "10.0.0.2", "reviews")])
            provider.update(scaled, generation: 2, changes: ChangeSet(from: provider.snapshot, to: scaled))
            ads.push(PushRequest(types: [.endpoint], generation: 2))
            let pushed = await iterator.next()
            #expect(pushed?.typeURL == XDSType.endpoint.rawValue)
            // A later full push with unchanged content sends nothing: prove nothing else was queued before it.
            provider.update(
                reviewsMesh(pods: [
                    ("r1", "10.0.0.1", "reviews"), ("r2", "10.0.0.2", "reviews"), ("r3", "10.0.0.3", "reviews"),
                ]), generation: 3)
            ads.push(PushRequest(generation: 3))
            let next = await iterator.next()
            #expect(next?.typeURL == XDSType.endpoint.rawValue, "CDS, LDS and RDS were unchanged by an endpoint change")
            requestsIn.finish()
            try await group.waitForAll()
        }
    }
}
