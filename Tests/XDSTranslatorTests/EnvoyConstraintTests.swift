// Every resource meshd generates must satisfy the protoc-gen-validate rules of Envoy's API, or Envoy NACKs it.
// The rules are read from the upstream descriptors in `xds-protos` by Scripts/check-pgv.py; this suite feeds it the
// output of every golden case, under the case's own proxy and a router, plus the output of YAML mutants of those
// cases that meshd accepts, the accepted YAML inputs of the translate fuzz corpus, and a deliberately bad set that
// must be reported rule by rule.

import EnvoyAPI
import Foundation
import MeshModel
import MeshTestSupport
import SwiftProtobuf
import Testing
import XDSTranslator

/// Resources as the checker reads them: one JSON line per resource, `{source, name, any}` (the Any base64).
struct ConstraintInput {
    private(set) var lines: [String] = []
    private var seen: Set<Data> = []
    private(set) var sources: Set<String> = []

    /// Adds `resources`; a resource whose bytes are already in (mutants often give the same output) is skipped.
    mutating func add(_ resources: [TranslatedResource], source: String) throws {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        for resource in resources {
            let bytes = try Data(resource.resource.serializedBytes(options: options) as [UInt8])
            guard seen.insert(bytes).inserted else { continue }
            sources.insert(source)
            let record: [String: String] = [
                "source": source, "name": resource.name, "any": bytes.base64EncodedString(),
            ]
            let json = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
            lines.append(String(decoding: json, as: UTF8.self))
        }
    }

    /// Runs Scripts/check-pgv.py over the resources.
    func check() throws -> SubprocessResult {
        let python = RepositoryPaths.venvPython
        try #require(FileManager.default.isExecutableFile(atPath: python), "\(python) is missing: run Scripts/test")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-pgv-\(UUID().uuidString).jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = RepositoryPaths.root.appendingPathComponent("Scripts/check-pgv.py").path
        return try Subprocess.run([python, script, file.path], timeout: .seconds(900))
    }
}

@Suite("Generated resources satisfy Envoy's field constraints (protoc-gen-validate)", .tags(.python))
struct EnvoyConstraintTests {
    static let translator = XDSTranslator()
    static let types = [TypeURL.cluster, TypeURL.endpoint, TypeURL.listener, TypeURL.route]
    /// Mutants checked per golden case (a deterministic sample of all single-value mutants).
    static let mutantsPerCase = 80

    /// The golden case's proxy as a router (a gateway pod), so Gateway-only generation is covered too.
    static func router(_ proxy: Proxy) -> Proxy {
        var router = proxy
        router.kind = .router
        return router
    }

    @Test("every golden case, under its proxy and as a router, and accepted mutants of it, satisfy every rule")
    func goldenCasesAndMutants() throws {
        var input = ConstraintInput()
        var accepted = 0
        var refused = 0
        for golden in GoldenCase.all {
            let fixture = try golden.fixture()
            for (proxy, each) in try golden.fixtures() {
                for (_, typeURL) in GoldenCase.outputs(of: proxy) {
                    try input.add(
                        Self.translator.generate(
                            typeURL: typeURL, snapshot: each.snapshot, proxy: each.proxy, secrets: each.secrets),
                        source: "\(golden.name)/\(proxy.name)/\(typeURL.split(separator: ".").last ?? "")")
                }
            }
            for typeURL in Self.types {
                try input.add(
                    Self.translator.generate(
                        typeURL: typeURL, snapshot: fixture.snapshot, proxy: Self.router(fixture.proxy)),
                    source: "\(golden.name)/router")
            }
            let yaml = try String(contentsOf: golden.folder.appendingPathComponent("input.yaml"), encoding: .utf8)
            for (index, mutant) in YAMLMutants.sample(of: yaml, limit: Self.mutantsPerCase, seed: 0x6D65_7368)
                .enumerated()
            {
                let decoded = ConfigDecoder.decode(yaml: mutant, file: "\(golden.name)/mutant-\(index).yaml")
                guard decoded.errors.isEmpty else {
                    refused += 1
                    continue
                }
                accepted += 1
                let snapshot = MeshSnapshot.build(from: decoded.objects)
                for typeURL in Self.types {
                    for proxy in [fixture.proxy, Self.router(fixture.proxy)] {
                        try input.add(
                            Self.translator.generate(typeURL: typeURL, snapshot: snapshot, proxy: proxy),
                            source: "\(golden.name)/mutant-\(index)")
                    }
                }
            }
        }
        let result = try input.check()
        print(
            "PGV check: \(accepted) mutants accepted, \(refused) refused; \(result.stdout.split(separator: "\n").last ?? "")"
        )
        #expect(result.succeeded, "generated resources break Envoy's rules:\n\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains(" 0 violations"), "\(result.stdout)")
        #expect(accepted > 100, "too few accepted mutants to mean anything: \(accepted)")
    }

    /// The YAML inputs of the translate fuzz target kept in the repo (its seeds and every crash found, kept after
    /// the fix): each one meshd accepts is translated, as that target does, for a sidecar in `default` and an
    /// ingress gateway, and checked like the golden cases.
    @Test("every accepted fuzz regression input, for a sidecar and a router, satisfies every rule")
    func fuzzRegressionInputs() throws {
        let folder = RepositoryPaths.root.appendingPathComponent("Tests/FuzzRegressionTests/Inputs/translate")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }
            .sorted()
        let sidecar = try Proxy(
            nodeID: "sidecar~10.44.0.10~reviews-v1.default~default.svc.cluster.local",
            metadata: ["NAMESPACE": "default", "SERVICE_ACCOUNT": "reviews"],
            labels: ["app": "reviews", "version": "v1"])
        let router = try Proxy(
            nodeID: "router~10.44.0.20~istio-ingressgateway.istio-system~istio-system.svc.cluster.local",
            metadata: ["NAMESPACE": "istio-system"], labels: ["istio": "ingressgateway", "app": "istio-ingressgateway"])
        var input = ConstraintInput()
        var accepted: [String] = []
        for name in names {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            // Inputs that are not UTF-8 or that meshd refuses never reach the translator.
            guard let text = String(data: data, encoding: .utf8) else { continue }
            let decoded = ConfigDecoder.decode(yaml: text, file: name)
            guard decoded.errors.isEmpty, !decoded.objects.isEmpty else { continue }
            accepted.append(name)
            let snapshot = MeshSnapshot.build(from: decoded.objects)
            for proxy in [sidecar, router] {
                for typeURL in Self.types {
                    try input.add(
                        Self.translator.generate(typeURL: typeURL, snapshot: snapshot, proxy: proxy),
                        source: "fuzz/\(name)/\(proxy.kind)")
                }
            }
        }
        let result = try input.check()
        print(
            "PGV check, fuzz inputs: \(accepted.count) of \(names.count) accepted; \(result.stdout.split(separator: "\n").last ?? "")"
        )
        #expect(!accepted.isEmpty, "no fuzz input of \(folder.path) is accepted: nothing was checked")
        #expect(input.lines.count > 0, "the accepted fuzz inputs generated no resources")
        #expect(result.succeeded, "generated resources break Envoy's rules:\n\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains(" 0 violations"), "\(result.stdout)")
    }

    /// One resource per rule kind, each breaking exactly what Envoy would refuse; the checker must name each.
    @Test("a deliberately bad resource is reported, rule by rule")
    func badResourcesAreReported() throws {
        var input = ConstraintInput()
        var expected: [(name: String, rule: String)] = []
        func add<M: SwiftProtobuf.Message>(_ name: String, _ message: M, breaks rule: String) throws {
            try input.add(
                [TranslatedResource(name: name, resource: Google_Protobuf_Any(message: message))], source: "bad")
            expected.append((name, rule))
        }

        var unnamed = Envoy_Config_Cluster_V3_Cluster()  // string min_len (name)
        unnamed.type = .eds
        unnamed.connectTimeout = Google_Protobuf_Duration(seconds: 1)
        try add("unnamed", unnamed, breaks: "Cluster.name: string.min_len")

        var zeroTimeout = Envoy_Config_Cluster_V3_Cluster()  // duration gt 0s
        zeroTimeout.name = "zero-timeout"
        zeroTimeout.connectTimeout = Google_Protobuf_Duration(seconds: 0)
        try add("zero-timeout", zeroTimeout, breaks: "connect_timeout: duration.gt")

        var badPolicy = Envoy_Config_Cluster_V3_Cluster()  // enum defined_only
        badPolicy.name = "bad-policy"
        badPolicy.lbPolicy = .UNRECOGNIZED(42)
        try add("bad-policy", badPolicy, breaks: "lb_policy: enum.defined_only")

        var metadata = Envoy_Config_Cluster_V3_Cluster()  // map keys: string min_len
        metadata.name = "metadata"
        metadata.connectTimeout = Google_Protobuf_Duration(seconds: 1)
        metadata.metadata.filterMetadata[""] = Google_Protobuf_Struct()
        try add("metadata", metadata, breaks: "filter_metadata[''](key): string.min_len")

        var threshold = Envoy_Config_Cluster_V3_CircuitBreakers.Thresholds()  // enum defined_only, nested repeated
        threshold.priority = .UNRECOGNIZED(7)
        var breakers = Envoy_Config_Cluster_V3_Cluster()
        breakers.name = "bad-priority"
        breakers.circuitBreakers.thresholds = [threshold]
        try add("bad-priority", breakers, breaks: "thresholds[0].priority: enum.defined_only")

        var noDomains = Envoy_Config_Route_V3_RouteConfiguration()  // repeated min_items
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = "empty"
        var route = Envoy_Config_Route_V3_Route()
        route.match.prefix = "/"
        route.route = Envoy_Config_Route_V3_RouteAction()  // oneof required: no cluster_specifier
        var header = Envoy_Config_Route_V3_HeaderMatcher()  // well-known regex: a header name with a newline
        header.name = "x-bad\nname"
        header.presentMatch = true
        route.match.headers = [header]
        host.routes = [route]
        noDomains.name = "no-domains"
        noDomains.virtualHosts = [host]
        try add("no-domains", noDomains, breaks: "domains: repeated.min_items")
        expected.append(("no-domains", "route.cluster_specifier: oneof.required"))
        expected.append(("no-domains", "headers[0].name: string.well_known_regex.HTTP_HEADER_NAME"))

        var weights = Envoy_Config_Route_V3_RouteConfiguration()  // a deprecated field, inside a oneof member
        var weighted = Envoy_Config_Route_V3_WeightedCluster.ClusterWeight()
        weighted.name = "outbound|80||a.default.svc.cluster.local"
        weighted.weight = Google_Protobuf_UInt32Value(1)
        var action = Envoy_Config_Route_V3_RouteAction()
        var split = Envoy_Config_Route_V3_WeightedCluster()
        split.clusters = [weighted]
        action.weightedClusters = split
        var weightedRoute = Envoy_Config_Route_V3_Route()
        weightedRoute.match.prefix = "/"
        action.maxGrpcTimeout = Google_Protobuf_Duration(seconds: 0)
        weightedRoute.route = action
        var weightedHost = Envoy_Config_Route_V3_VirtualHost()
        weightedHost.name = "w"
        weightedHost.domains = ["*"]
        weightedHost.routes = [weightedRoute]
        weights.name = "weights"
        weights.virtualHosts = [weightedHost]
        try add("weights", weights, breaks: "route.max_grpc_timeout: deprecated")

        var ejection = Envoy_Config_Cluster_V3_Cluster()  // uint32 lte on a wrapper (UInt32Value)
        ejection.name = "ejection"
        ejection.connectTimeout = Google_Protobuf_Duration(seconds: 1)
        ejection.outlierDetection.maxEjectionPercent = Google_Protobuf_UInt32Value(101)
        try add("ejection", ejection, breaks: "outlier_detection.max_ejection_percent: uint32.lte")

        var manager = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager()  // nested Any
        manager.statPrefix = ""
        var filter = Envoy_Config_Listener_V3_Filter()
        filter.name = "envoy.filters.network.http_connection_manager"
        filter.typedConfig = try Google_Protobuf_Any(message: manager)
        var chain = Envoy_Config_Listener_V3_FilterChain()
        chain.filters = [filter]
        var listener = Envoy_Config_Listener_V3_Listener()
        listener.name = "nested"
        listener.filterChains = [chain]
        try add("nested", listener, breaks: "typed_config<HttpConnectionManager>.stat_prefix: string.min_len")
        expected.append(("nested", "typed_config<HttpConnectionManager>.route_specifier: oneof.required"))

        var socket = Envoy_Config_Core_V3_SocketAddress()  // uint32 lte 65535 on port_value
        socket.address = "10.0.0.1"
        socket.portValue = 70000
        var address = Envoy_Config_Core_V3_Address()
        address.socketAddress = socket
        var endpoint = Envoy_Config_Endpoint_V3_LbEndpoint()
        endpoint.endpoint.address = address
        var locality = Envoy_Config_Endpoint_V3_LocalityLbEndpoints()
        locality.lbEndpoints = [endpoint]
        var assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment()
        assignment.clusterName = "ports"
        assignment.endpoints = [locality]
        try add("ports", assignment, breaks: "port_value: uint32.lte")

        let result = try input.check()
        #expect(
            result.status == 1, "expected violations (exit 1), got \(result.status):\n\(result.stdout)\(result.stderr)")
        let reported = result.stdout.split(separator: "\n").filter { $0.hasPrefix("VIOLATION ") }
        for (name, rule) in expected {
            #expect(
                reported.contains { $0.contains(" \(name): ") && $0.contains(rule) },
                "\(name) breaks \(rule), but the checker did not say so:\n\(result.stdout)")
        }
    }
}
