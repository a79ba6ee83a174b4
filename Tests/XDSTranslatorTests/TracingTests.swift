import EnvoyAPI
import MeshModel
import SwiftProtobuf
import Testing
import XDSTranslator

/// Span reporting from Telemetry `tracing` and the mesh config's `zipkin` providers: which HttpConnectionManagers
/// trace, with which sampling, tags and collector, merged over the levels as istiod merges them.
@Suite("Tracing (Telemetry, zipkin)")
struct TracingTests {
    typealias Listener = Envoy_Config_Listener_V3_Listener
    typealias HCM = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager
    typealias Zipkin = Envoy_Config_Trace_V3_ZipkinConfig
    typealias Cluster = Envoy_Config_Cluster_V3_Cluster

    static let mesh = MeshYAML.join(
        MeshYAML.service("web", clusterIP: "10.96.8.1", ports: [("http", 8080, nil)]),
        MeshYAML.service("zipkin", namespace: "istio-system", clusterIP: "10.96.8.9", ports: [("http", 9411, nil)]),
        MeshYAML.pod("web-1", ip: "10.1.8.1", labels: ["app": "web"]))

    static let providers = """
        extensionProviders:
        - name: zipkin
          zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411, maxTagLength: 99}
        - name: narrow
          zipkin: {service: istio-system/zipkin, port: 9411, enable64bitTraceId: true, path: /collect}
        """

    static func telemetry(_ name: String, namespace: String, selector: String? = nil, tracing: String) -> String {
        """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata:
          name: \(name)
          namespace: \(namespace)
        spec:
        \(selector.map { "  selector:\n    matchLabels: {\($0)}" } ?? "")
          tracing:
        \(tracing)
        """
    }

    func snapshot(_ yaml: String, mesh meshText: String = providers) throws -> MeshSnapshot {
        let decoded = ConfigDecoder.decode(yaml: MeshYAML.join(Self.mesh, yaml), file: "mesh.yaml")
        #expect(decoded.errors.isEmpty, "\(decoded.errors.map(\.description))")
        let meshConfig = MeshConfigDecoder.decode(yaml: meshText, file: "mesh-config.yaml")
        #expect(meshConfig.errors.isEmpty, "\(meshConfig.errors.map(\.description))")
        var snapshot = MeshSnapshot.build(from: decoded.objects)
        snapshot.apply(meshConfig: try #require(meshConfig.config))
        return snapshot
    }

    /// The tracing of each listener's HCMs (nil when it has none), by listener name, for the web pod's sidecar.
    func tracing(_ yaml: String, mesh: String = providers) throws -> [String: HCM.Tracing?] {
        let proxy = try Proxy(nodeID: sidecarID(ip: "10.1.8.1", pod: "web-1"), metadata: [:], labels: [:])
        var result: [String: HCM.Tracing?] = [:]
        for message in XDSTranslator().generateMessages(
            typeURL: TypeURL.listener, snapshot: try snapshot(yaml, mesh: mesh), proxy: proxy)
        {
            let listener = try #require(message.message as? Listener)
            for filter in listener.filterChains.flatMap({ $0.filters })
            where filter.name == "envoy.filters.network.http_connection_manager" {
                let manager = try HCM(unpackingAny: filter.typedConfig)
                result[listener.name] = manager.hasTracing ? manager.tracing : nil
            }
        }
        return result
    }

    @Test("a mesh-wide Telemetry: Zipkin collector cluster, sampling, tags sorted by name, on both sides")
    func meshWide() throws {
        let yaml = Self.telemetry(
            "mesh", namespace: "istio-system",
            tracing: """
                  - providers: [{name: zipkin}]
                    randomSamplingPercentage: 25
                    customTags:
                      team: {literal: {value: payments}}
                      env: {environment: {name: POD_NAME, defaultValue: none}}
                      user: {header: {name: x-user}}
                """)
        let all = try tracing(yaml)
        for name in ["0.0.0.0_8080", "virtualInbound"] {
            let spans = try #require(all[name] ?? nil, "no tracing on \(name)")
            #expect(spans.randomSampling.value == 25)
            #expect(spans.maxPathTagLength.value == 99)
            #expect(spans.customTags.map(\.tag) == ["env", "team", "user"])
            #expect(
                spans.customTags[0].environment.name == "POD_NAME"
                    && spans.customTags[0].environment.defaultValue == "none")
            #expect(spans.customTags[1].literal.value == "payments")
            #expect(spans.customTags[2].requestHeader.name == "x-user")
            #expect(spans.provider.name == "envoy.tracers.zipkin")
            let zipkin = try Zipkin(unpackingAny: spans.provider.typedConfig)
            #expect(zipkin.collectorCluster == "outbound|9411||zipkin.istio-system.svc.cluster.local")
            #expect(zipkin.collectorEndpoint == "/api/v2/spans")
            #expect(zipkin.collectorEndpointVersion == .httpJson)
            #expect(zipkin.traceID128Bit)
            #expect(zipkin.collectorHostname == "zipkin.istio-system.svc.cluster.local")
        }
    }

    @Test(
        "levels: the workload's entry overrides sampling and provider, keeps the mesh tags; SERVER applies inbound only"
    )
    func levelsAndModes() throws {
        let root = Self.telemetry(
            "mesh", namespace: "istio-system",
            tracing:
                "  - providers: [{name: zipkin}]\n    randomSamplingPercentage: 5\n    customTags: {team: {literal: {value: a}}}"
        )
        let workload = Self.telemetry(
            "web", namespace: "default", selector: "app: web",
            tracing: "  - providers: [{name: narrow}]\n    randomSamplingPercentage: 0\n    match: {mode: SERVER}")
        let all = try tracing(MeshYAML.join(root, workload))
        let inbound = try #require(all["virtualInbound"] ?? nil)
        #expect(inbound.randomSampling.value == 0)
        #expect(inbound.customTags.map(\.tag) == ["team"])
        let zipkin = try Zipkin(unpackingAny: inbound.provider.typedConfig)
        #expect(zipkin.collectorEndpoint == "/collect" && !zipkin.traceID128Bit)
        let outbound = try #require(all["0.0.0.0_8080"] ?? nil)
        #expect(outbound.randomSampling.value == 5, "the client side keeps the mesh-wide sampling")
    }

    @Test("no tracing without a Telemetry or default provider; an unknown or unresolvable provider traces nothing")
    func nothingWithoutAProvider() throws {
        #expect(try tracing("").values.allSatisfy { $0 == nil })
        let missing = Self.telemetry("mesh", namespace: "istio-system", tracing: "  - providers: [{name: nope}]")
        #expect(try tracing(missing).values.allSatisfy { $0 == nil })
        let badService = "extensionProviders:\n- name: zipkin\n  zipkin: {service: absent.example.com, port: 9411}"
        let named = Self.telemetry("mesh", namespace: "istio-system", tracing: "  - providers: [{name: zipkin}]")
        #expect(try tracing(named, mesh: badService).values.allSatisfy { $0 == nil })
        let byDefault = try tracing("", mesh: Self.providers + "\ndefaultProviders: {tracing: [zipkin]}")
        #expect((byDefault["0.0.0.0_8080"] ?? nil)?.randomSampling.value == 1, "istiod's default sampling is 1%")
    }

    @Test("the mesh config's defaultConfig.tracing.sampling is the default; a Telemetry's sampling still wins")
    func meshDefaultSampling() throws {
        let mesh =
            Self.providers + "\ndefaultProviders: {tracing: [zipkin]}\ndefaultConfig: {tracing: {sampling: 42.5}}"
        let byDefault = try tracing("", mesh: mesh)
        #expect((byDefault["0.0.0.0_8080"] ?? nil)?.randomSampling.value == 42.5)
        #expect((byDefault["virtualInbound"] ?? nil)?.randomSampling.value == 42.5)
        let set = Self.telemetry(
            "mesh", namespace: "istio-system",
            tracing: "  - providers: [{name: zipkin}]\n    randomSamplingPercentage: 3")
        #expect((try tracing(set, mesh: mesh)["0.0.0.0_8080"] ?? nil)?.randomSampling.value == 3)
    }

    @Test("disableSpanReporting keeps sampling and tags but names no tracer")
    func disableSpanReporting() throws {
        let yaml = Self.telemetry(
            "mesh", namespace: "istio-system",
            tracing: "  - providers: [{name: zipkin}]\n    disableSpanReporting: true\n    randomSamplingPercentage: 50"
        )
        let spans = try #require(try tracing(yaml)["0.0.0.0_8080"] ?? nil)
        #expect(spans.randomSampling.value == 50)
        #expect(!spans.hasProvider)
    }

    @Test("the collector's cluster is sent even when a Sidecar imports nothing of its namespace")
    func collectorClusterUnderSidecar() throws {
        let sidecar = """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: default}
            spec:
              egress:
              - hosts: ["./*"]
            """
        let yaml = MeshYAML.join(
            sidecar, Self.telemetry("mesh", namespace: "istio-system", tracing: "  - providers: [{name: zipkin}]"))
        let proxy = try Proxy(nodeID: sidecarID(ip: "10.1.8.1", pod: "web-1"), metadata: [:], labels: [:])
        let clusters = XDSTranslator().generateMessages(
            typeURL: TypeURL.cluster, snapshot: try snapshot(yaml), proxy: proxy
        ).map(\.name)
        #expect(clusters.contains("outbound|9411||zipkin.istio-system.svc.cluster.local"), "\(clusters)")
    }

    static let otelProviders = """
        extensionProviders:
        - name: otel
          opentelemetry:
            service: zipkin.istio-system.svc.cluster.local
            port: 9411
            maxTagLength: 50
            grpc: {timeout: 2s, initialMetadata: [{name: x-tenant, value: blue}]}
            resourceDetectors: {environment: {}}
        - name: otel-http
          opentelemetry:
            service: istio-system/zipkin
            port: 9411
            http: {path: /v1/traces, headers: [{name: x-key, value: k}]}
        """

    func openTelemetry(_ tracing: HCM.Tracing?) throws -> Envoy_Config_Trace_V3_OpenTelemetryConfig {
        let tracing = try #require(tracing)
        #expect(tracing.provider.name == "envoy.tracers.opentelemetry")
        return try Envoy_Config_Trace_V3_OpenTelemetryConfig(unpackingAny: tracing.provider.typedConfig)
    }

    @Test("an opentelemetry provider: OTLP over gRPC to the collector's cluster, service.name from the workload")
    func openTelemetryOverGRPC() throws {
        let yaml = Self.telemetry(
            "mesh", namespace: "istio-system", tracing: "  - providers: [{name: otel}]\n    randomSamplingPercentage: 10")
        let all = try tracing(yaml, mesh: Self.otelProviders)
        let inbound = try #require(all["virtualInbound"] ?? nil)
        #expect(inbound.randomSampling.value == 10)
        #expect(inbound.maxPathTagLength.value == 50)
        let config = try openTelemetry(inbound)
        #expect(config.serviceName == "web.default")
        #expect(config.grpcService.envoyGrpc.clusterName == "outbound|9411||zipkin.istio-system.svc.cluster.local")
        #expect(config.grpcService.envoyGrpc.authority == "zipkin.istio-system.svc.cluster.local")
        #expect(config.grpcService.timeout.seconds == 2)
        #expect(config.grpcService.initialMetadata.map { "\($0.key)=\($0.value)" } == ["x-tenant=blue"])
        #expect(!config.hasHTTPService)
        #expect(config.resourceDetectors.map(\.name) == ["envoy.tracers.opentelemetry.resource_detectors.environment"])
        #expect(try openTelemetry(all["0.0.0.0_8080"] ?? nil) == config, "the client side traces the same way")
    }

    @Test("an opentelemetry provider with http: OTLP/HTTP to http://<host><path> through the cluster, 3 s default")
    func openTelemetryOverHTTP() throws {
        let yaml = Self.telemetry("mesh", namespace: "istio-system", tracing: "  - providers: [{name: otel-http}]")
        let config = try openTelemetry(try tracing(yaml, mesh: Self.otelProviders)["virtualInbound"] ?? nil)
        #expect(!config.hasGrpcService)
        #expect(config.httpService.httpUri.uri == "http://zipkin.istio-system.svc.cluster.local/v1/traces")
        #expect(config.httpService.httpUri.cluster == "outbound|9411||zipkin.istio-system.svc.cluster.local")
        #expect(config.httpService.httpUri.timeout.seconds == 3)
        #expect(config.httpService.requestHeadersToAdd.map { "\($0.header.key)=\($0.header.value)" } == ["x-key=k"])
        #expect(config.resourceDetectors.isEmpty)
    }

    @Test("useRequestIdForTraceSampling: the UUID request id extension on the side's HCMs, the workload level winning")
    func requestIDSampling() throws {
        let yaml = MeshYAML.join(
            Self.telemetry(
                "mesh", namespace: "istio-system",
                tracing: "  - providers: [{name: zipkin}]\n    useRequestIdForTraceSampling: false"),
            Self.telemetry(
                "web", namespace: "default", selector: "app: web",
                tracing: "  - match: {mode: SERVER}\n    useRequestIdForTraceSampling: true"))
        let snapshot = try snapshot(yaml)
        let proxy = try Proxy(nodeID: sidecarID(ip: "10.1.8.1", pod: "web-1"), metadata: [:], labels: [:])
        var sampling: [String: Bool] = [:]
        for message in XDSTranslator().generateMessages(typeURL: TypeURL.listener, snapshot: snapshot, proxy: proxy) {
            let listener = try #require(message.message as? Listener)
            for filter in listener.filterChains.flatMap({ $0.filters })
            where filter.name == "envoy.filters.network.http_connection_manager" {
                let manager = try HCM(unpackingAny: filter.typedConfig)
                guard manager.hasRequestIDExtension else { continue }
                let config = try Envoy_Extensions_RequestId_Uuid_V3_UuidRequestIdConfig(
                    unpackingAny: manager.requestIDExtension.typedConfig)
                sampling[listener.name] = config.useRequestIDForTraceSampling.value
            }
        }
        #expect(sampling["virtualInbound"] == true, "the workload's SERVER entry: \(sampling)")
        #expect(sampling["0.0.0.0_8080"] == false, "the mesh-wide setting on the client side: \(sampling)")
    }
}
