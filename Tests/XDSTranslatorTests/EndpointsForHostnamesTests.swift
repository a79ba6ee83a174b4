import EnvoyAPI
import MeshTestSupport
import MeshModel
import Testing
import XDSTranslator

/// `generateEndpoints(_:snapshot:hostnames:)`, which an endpoint change uses to regenerate only the changed services'
/// assignments, plans only those services. Whatever it gives must be exactly the part of a full EDS generation that
/// belongs to those services: over every golden case and proxy (Sidecar scoping, `exportTo`, subsets, DNS and
/// passthrough services), for each service alone, for pairs, for every service at once, and for names of no service.
@Suite("EDS for a few hostnames equals the same part of a full generation")
struct EndpointsForHostnamesTests {
    /// The assignments of a full generation whose cluster belongs to one of `hostnames`.
    func fullPart(_ fixture: MeshFixture, _ hostnames: Set<String>) -> [TranslatedResource] {
        XDSTranslator().generate(typeURL: TypeURL.endpoint, snapshot: fixture.snapshot, proxy: fixture.proxy)
            .filter { ClusterName.hostname(of: $0.name).map(hostnames.contains) ?? false }
    }

    func narrowed(_ fixture: MeshFixture, _ hostnames: Set<String>) throws -> [TranslatedResource] {
        let inputs = ProxyInputsIndex(fixture.snapshot).inputs(of: fixture.proxy, typeURL: TypeURL.endpoint)
        guard case .endpoint(let endpointInputs) = inputs else {
            throw HarnessError("no EDS inputs for \(fixture.proxy.id)")
        }
        return XDSTranslator().generateEndpoints(endpointInputs, snapshot: fixture.snapshot, hostnames: hostnames)
    }

    @Test(arguments: GoldenCase.all)
    func narrowedEqualsTheFullPart(_ golden: GoldenCase) throws {
        for (proxy, fixture) in try golden.fixtures() {
            let hostnames = fixture.snapshot.services.map(\.hostname)
            var asked: [Set<String>] = hostnames.map { [$0] }
            asked += zip(hostnames, hostnames.dropFirst().reversed()).map { [$0, $1] }
            asked += [Set(hostnames), ["no-such-service.example"], []]
            var nonEmpty = 0
            for set in asked {
                let expected = fullPart(fixture, set)
                let got = try narrowed(fixture, set)
                nonEmpty += expected.isEmpty ? 0 : 1
                #expect(
                    got.map(\.name) == expected.map(\.name),
                    "\(golden.name)/\(proxy.name), hostnames \(set.sorted()): the same assignments")
                #expect(
                    got.map(\.resource) == expected.map(\.resource),
                    "\(golden.name)/\(proxy.name), hostnames \(set.sorted()): the same content")
                #expect(
                    got.map(\.sources) == expected.map(\.sources),
                    "\(golden.name)/\(proxy.name), hostnames \(set.sorted()): the same provenance")
            }
            // A check that compared empty lists everywhere would prove nothing: a case with EDS clusters must have
            // given some assignment for some set of hostnames.
            if !XDSTranslator().generate(typeURL: TypeURL.endpoint, snapshot: fixture.snapshot, proxy: fixture.proxy)
                .isEmpty
            {
                #expect(nonEmpty > 0, "\(golden.name)/\(proxy.name): no hostname set gave any assignment")
            }
        }
    }

    /// STATIC ServiceEntries (EDS clusters) that `exportTo` hides from the client, and a Sidecar that imports only
    /// some namespaces: the golden cases hide only DNS services, which have no EDS.
    @Test("services that exportTo or the Sidecar hide get no assignment, narrowed or not")
    func hiddenServices() throws {
        func entry(_ name: String, namespace: String, exportTo: String, address: String) -> String {
            """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: \(name), namespace: \(namespace)}
            spec:
              hosts: [\(name).example]
              exportTo: \(exportTo)
              resolution: STATIC
              ports: [{number: 80, name: http, protocol: HTTP}]
              endpoints: [{address: \(address)}]
            ---

            """
        }
        let yaml =
            entry("private", namespace: "other", exportTo: "[\".\"]", address: "10.2.0.1")
            + entry("shared", namespace: "other", exportTo: "[\"*\"]", address: "10.2.0.2")
            + entry("unimported", namespace: "third", exportTo: "[\"*\"]", address: "10.3.0.1")
            + """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: default}
            spec:
              egress: [{hosts: ["./*", "other/*"]}]
            """
        let fixture = try MeshFixture(yaml: yaml, nodeID: sidecarID(ip: "10.1.5.9", pod: "client"))
        let all: Set<String> = ["private.example", "shared.example", "unimported.example"]
        #expect(fullPart(fixture, all).map(\.name) == ["outbound|80||shared.example"], "only shared is visible")
        for set in [all, ["private.example"], ["unimported.example"], ["shared.example"]] {
            #expect(try narrowed(fixture, set) == fullPart(fixture, set), "hostnames \(set.sorted())")
        }
    }

    @Test("a cluster name belongs to a hostname only when the hostname is its whole last field")
    func clusterNameOwnership() {
        let host = "ratings.bookinfo.svc.cluster.local"
        #expect(ClusterName.isOutbound("outbound|9080||\(host)", ofOneOf: [host]))
        #expect(ClusterName.isOutbound("outbound|9080|v1|\(host)", ofOneOf: ["other.example", host]))
        #expect(!ClusterName.isOutbound("outbound|9080||x\(host)", ofOneOf: [host]), "a longer hostname")
        #expect(!ClusterName.isOutbound("outbound|9080||\(host)", ofOneOf: ["cluster.local"]), "a suffix of it")
        #expect(!ClusterName.isOutbound("inbound|9080||\(host)", ofOneOf: [host]))
        #expect(!ClusterName.isOutbound(host, ofOneOf: [host]))
        #expect(!ClusterName.isOutbound("outbound|9080||\(host)", ofOneOf: []))
        // Past eight hostnames the name is parsed and looked up instead: the same answers.
        let many = Set((0..<20).map { "svc-\($0).example" })
        #expect(ClusterName.isOutbound("outbound|80||svc-7.example", ofOneOf: many))
        #expect(!ClusterName.isOutbound("outbound|80||xsvc-7.example", ofOneOf: many))
        #expect(!ClusterName.isOutbound("outbound|80||svc-70.example", ofOneOf: many))
    }
}
