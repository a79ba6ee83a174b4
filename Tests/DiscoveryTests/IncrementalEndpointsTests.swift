import Discovery
import EnvoyAPI
import MeshModel
import Testing
import XDSServer
import XDSTranslator

/// After an endpoint-only update, a view's EDS is made from its previous set: only the assignments of services whose
/// endpoints changed are generated again, and the result is exactly what a full generation gives.
@Suite("Push engine: incremental EDS")
struct IncrementalEndpointsTests {
    /// Two services, `reviews` and `ratings`, each with the given pod IPs.
    func mesh(reviews: [String], ratings: [String]) -> MeshSnapshot {
        var yaml = ""
        for (service, ips, ip) in [("reviews", reviews, "10.96.0.5"), ("ratings", ratings, "10.96.0.6")] {
            yaml += """
                apiVersion: v1
                kind: Service
                metadata: {name: \(service), namespace: bookinfo}
                spec:
                  selector: {app: \(service)}
                  clusterIP: \(ip)
                  ports: [{name: http, port: 9080, targetPort: 9080}]
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: \(service), namespace: bookinfo}
                spec:
                  host: \(service)
                  subsets: [{name: v1, labels: {version: v1}}]
                ---

                """
            for (index, address) in ips.enumerated() {
                yaml += """
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: \(service)-\(index), namespace: bookinfo, labels: {app: \(service), version: v1}}
                    spec:
                      serviceAccountName: \(service)
                      containers: [{name: app, ports: [{containerPort: 9080}]}]
                    status: {podIP: \(address)}
                    ---

                    """
            }
        }
        return MeshSnapshot.build(from: ConfigDecoder.decode(yaml: yaml, file: "mesh.yaml").objects)
    }

    func fullGeneration(_ snapshot: MeshSnapshot, for client: ProxyClient) -> [XDSResource] {
        XDSTranslator().generate(typeURL: XDSType.endpoint.rawValue, snapshot: snapshot, proxy: client.proxy)
            .compactMap { try? XDSResource(name: $0.name, resource: $0.resource) }
    }

    func address(_ resource: XDSResource?) -> UInt? {
        resource?.encoded.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
    }

    @Test func onlyTheChangedServicesAssignmentsAreGeneratedAgain() async throws {
        let before = mesh(reviews: ["10.0.0.1"], ratings: ["10.0.1.1"])
        let provider = MeshResourceProvider(snapshot: before)
        let client = try sidecar("10.9.0.1", pod: "client")
        let first = await provider.resources(.endpoint, for: client).resources
        #expect(first.map(\.name).count == 4, "two services, each whole and subset v1: \(first.map(\.name))")

        // Two updates in a row, the second without a request in between: both changes reach the set.
        let scaled = mesh(reviews: ["10.0.0.1", "10.0.0.2"], ratings: ["10.0.1.1"])
        #expect(ChangeSet(from: before, to: scaled).endpointHostnames == ["reviews.bookinfo.svc.cluster.local"])
        provider.update(scaled, generation: 2, changes: ChangeSet(from: provider.snapshot, to: scaled))
        let moved = mesh(reviews: ["10.0.0.1", "10.0.0.2"], ratings: ["10.0.1.9"])
        provider.update(moved, generation: 3, changes: ChangeSet(from: provider.snapshot, to: moved))
        let third = await provider.resources(.endpoint, for: client)
        #expect(third.resources == fullGeneration(moved, for: client), "the same set a full generation gives")
        #expect(third.version == XDSResource.setVersion(of: fullGeneration(moved, for: client)))

        // One more change to reviews only: ratings' assignments are the very buffers of the previous set.
        let shrunk = mesh(reviews: ["10.0.0.2"], ratings: ["10.0.1.9"])
        provider.update(shrunk, generation: 4, changes: ChangeSet(from: provider.snapshot, to: shrunk))
        let fourth = await provider.resources(.endpoint, for: client).resources
        #expect(fourth == fullGeneration(shrunk, for: client))
        for resource in fourth {
            let previous = third.resources.first { $0.name == resource.name }
            if resource.name.hasSuffix("|ratings.bookinfo.svc.cluster.local") {
                #expect(address(resource) == address(previous), "\(resource.name) was kept, not generated again")
            } else {
                #expect(resource.version != previous?.version, "\(resource.name) has the new endpoints")
            }
        }
    }

    @Test func aFullUpdateForgetsTheBase() async throws {
        let provider = MeshResourceProvider(snapshot: mesh(reviews: ["10.0.0.1"], ratings: ["10.0.1.1"]))
        let client = try sidecar("10.9.0.1", pod: "client")
        let first = await provider.resources(.endpoint, for: client).resources
        let next = mesh(reviews: ["10.0.0.1"], ratings: ["10.0.1.1", "10.0.1.2"])
        provider.update(next, generation: 2)
        let second = await provider.resources(.endpoint, for: client).resources
        #expect(second == fullGeneration(next, for: client))
        let reviews = second.first { $0.name.hasSuffix("||reviews.bookinfo.svc.cluster.local") }
        let reviewsBefore = first.first { $0.name == reviews?.name }
        #expect(reviews == reviewsBefore, "same content")
        #expect(address(reviews) != address(reviewsBefore), "but generated again: a full update has no base")
    }
}
