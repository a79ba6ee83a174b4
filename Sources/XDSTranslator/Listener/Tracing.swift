import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// The span reporting a proxy's HttpConnectionManagers carry, resolved from Telemetry `tracing` and the mesh config
/// (`defaultProviders.tracing`, the `zipkin` and `opentelemetry` extension providers) as istiod resolves them: per side of the traffic,
/// the entries of the mesh, namespace and workload levels that apply to it, each set field overriding the less
/// specific one (custom tags by name). Only the first provider is used, as in istiod.
struct TracingPlan: Sendable {
    var client: Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.Tracing?
    var server: Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.Tracing?
    /// Telemetry's `useRequestIdForTraceSampling` per side, when a level sets it: the HttpConnectionManagers then
    /// get the UUID request id extension with that setting, as istiod gives them (Envoy's default, true, otherwise).
    var clientRequestIDSampling: Bool?
    var serverRequestIDSampling: Bool?
    var sources: [ResourceKey] = []

    static let zipkinName = "envoy.tracers.zipkin"
    static let openTelemetryName = "envoy.tracers.opentelemetry"
    static let environmentDetectorName = "envoy.tracers.opentelemetry.resource_detectors.environment"
    static let uuidRequestIDName = "envoy.request_id.uuid"
    /// istiod's timeout of an OTLP/HTTP export when the provider sets none.
    static let defaultHTTPExportTimeout = 3.0
    /// istiod's sampling (`PILOT_TRACE_SAMPLING`) when neither Telemetry nor the mesh config's
    /// `defaultConfig.tracing.sampling` sets one.
    static let defaultSampling = 1.0
    /// istiod's `max_path_tag_length` when the provider sets no `maxTagLength`.
    static let defaultMaxTagLength = 256

    /// The merged tracing settings of one side.
    struct Merged: Equatable {
        var provider: String?
        var sampling: Double?
        var disableSpanReporting = false
        var useRequestIDForTraceSampling: Bool?
        var customTags: [String: TracingCustomTag] = [:]
    }

    static func merge(levels: [[TelemetryTracing]], defaults: [String], side: TelemetryTrafficSide) -> Merged {
        var merged = Merged(provider: defaults.first)
        for level in levels {
            for entry in level where entry.mode.applies(to: side) {
                if let first = entry.providers.first { merged.provider = first }
                if let sampling = entry.randomSamplingPercentage { merged.sampling = sampling }
                if let disabled = entry.disableSpanReporting { merged.disableSpanReporting = disabled }
                if let sampling = entry.useRequestIdForTraceSampling { merged.useRequestIDForTraceSampling = sampling }
                merged.customTags.merge(entry.customTags) { _, new in new }
            }
        }
        return merged
    }

    /// The plan for a proxy whose Telemetry levels (least specific first) are `levels`; `serviceName` names the
    /// proxy's service in OpenTelemetry spans.
    static func of(levels: [Telemetry], snapshot: MeshSnapshot, serviceName: String) -> TracingPlan {
        let withTracing = levels.filter { !$0.tracing.isEmpty }
        let mesh = snapshot.meshConfig
        var plan = TracingPlan()
        guard !withTracing.isEmpty || !mesh.defaultProviders.tracing.isEmpty else { return plan }
        plan.sources = withTracing.map(\.sourceKey)
        for side in [TelemetryTrafficSide.client, .server] {
            var merged = merge(
                levels: withTracing.map(\.tracing), defaults: mesh.defaultProviders.tracing, side: side)
            // No Telemetry level sets a sampling: the mesh config's `defaultConfig.tracing.sampling`, as istiod reads
            // it from the proxy's ProxyConfig.
            if merged.sampling == nil { merged.sampling = mesh.defaultConfig.tracingSampling }
            guard let name = merged.provider, let provider = mesh.extensionProvider(named: name),
                let tracer = Tracer(provider.kind, snapshot: snapshot, serviceName: serviceName)
            else { continue }
            let tracing = tracing(merged, tracer: tracer)
            if side == .client {
                plan.client = tracing
                plan.clientRequestIDSampling = merged.useRequestIDForTraceSampling
            } else {
                plan.server = tracing
                plan.serverRequestIDSampling = merged.useRequestIDForTraceSampling
            }
        }
        return plan
    }

    static func tracing(
        _ merged: Merged, tracer: Tracer
    ) -> Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.Tracing {
        var tracing = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.Tracing()
        var random = Envoy_Type_V3_Percent()
        random.value = merged.sampling ?? defaultSampling
        tracing.randomSampling = random
        var everything = Envoy_Type_V3_Percent()
        everything.value = 100
        tracing.clientSampling = everything
        tracing.overallSampling = everything
        tracing.maxPathTagLength = Google_Protobuf_UInt32Value(
            UInt32(clamping: tracer.maxTagLength ?? defaultMaxTagLength))
        tracing.customTags = merged.customTags.keys.sorted().compactMap { name in
            guard let tag = merged.customTags[name] else { return nil }
            var custom = Envoy_Type_Tracing_V3_CustomTag()
            custom.tag = name
            switch tag {
            case .literal(let value):
                var literal = Envoy_Type_Tracing_V3_CustomTag.Literal()
                literal.value = value
                custom.literal = literal
            case .environment(let variable, let fallback):
                var environment = Envoy_Type_Tracing_V3_CustomTag.Environment()
                environment.name = variable
                environment.defaultValue = fallback ?? ""
                custom.environment = environment
            case .header(let header, let fallback):
                var request = Envoy_Type_Tracing_V3_CustomTag.Header()
                request.name = header
                request.defaultValue = fallback ?? ""
                custom.requestHeader = request
            }
            return custom
        }
        // disableSpanReporting: sampling decisions and propagation go on, with no tracer to report to.
        if !merged.disableSpanReporting { tracing.provider = tracer.http }
        return tracing
    }
}

extension TracingPlan {
    /// The UUID request id extension with `useRequestIdForTraceSampling` set as Telemetry says.
    static func requestIDExtension(
        useRequestIDForTraceSampling: Bool
    ) -> Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_RequestIDExtension {
        var config = Envoy_Extensions_RequestId_Uuid_V3_UuidRequestIdConfig()
        config.useRequestIDForTraceSampling = Google_Protobuf_BoolValue(useRequestIDForTraceSampling)
        var extensionConfig = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_RequestIDExtension()
        extensionConfig.typedConfig = packAny(config)
        return extensionConfig
    }
}

/// A tracer Envoy can report to: a `zipkin` or `opentelemetry` provider whose service is in the registry.
struct Tracer {
    let maxTagLength: Int?
    /// The HttpConnectionManager's `tracing.provider`.
    let http: Envoy_Config_Trace_V3_Tracing.Http

    /// Nil for a provider of another kind, or one whose service or port the registry lacks.
    init?(_ kind: ExtensionProvider.Kind, snapshot: MeshSnapshot, serviceName: String) {
        guard let target = kind.telemetryTarget,
            let resolved = ResolvedTracer.resolve(service: target.service, port: target.port, in: snapshot)
        else { return nil }
        var http = Envoy_Config_Trace_V3_Tracing.Http()
        switch kind {
        case .zipkin(let zipkin):
            maxTagLength = zipkin.maxTagLength
            var config = Envoy_Config_Trace_V3_ZipkinConfig()
            config.collectorCluster = resolved.cluster
            config.collectorEndpoint = zipkin.path ?? "/api/v2/spans"
            config.collectorEndpointVersion = .httpJson
            config.traceID128Bit = !zipkin.enable64bitTraceID
            config.sharedSpanContext = Google_Protobuf_BoolValue(false)
            config.collectorHostname = resolved.hostname
            http.name = TracingPlan.zipkinName
            http.typedConfig = packAny(config)
        case .openTelemetry(let otel):
            maxTagLength = otel.maxTagLength
            http.name = TracingPlan.openTelemetryName
            http.typedConfig = packAny(Self.openTelemetry(otel, resolved: resolved, serviceName: serviceName))
        default:
            return nil
        }
        self.http = http
    }

    /// OTLP over gRPC to the collector's outbound cluster (its authority the service's hostname), or over HTTP to
    /// `http://<hostname><path>` through that cluster.
    static func openTelemetry(
        _ otel: OpenTelemetryTracingProvider, resolved: ResolvedTracer, serviceName: String
    ) -> Envoy_Config_Trace_V3_OpenTelemetryConfig {
        var config = Envoy_Config_Trace_V3_OpenTelemetryConfig()
        config.serviceName = serviceName
        if let export = otel.http {
            var uri = Envoy_Config_Core_V3_HttpUri()
            uri.uri = "http://\(resolved.hostname)\(export.path)"
            uri.cluster = resolved.cluster
            uri.timeout = ProtoValues.duration(
                seconds: export.timeoutSeconds ?? TracingPlan.defaultHTTPExportTimeout)
            var service = Envoy_Config_Core_V3_HttpService()
            service.httpUri = uri
            service.requestHeadersToAdd = export.headers.map { header in
                var option = Envoy_Config_Core_V3_HeaderValueOption()
                option.header.key = header.name
                option.header.value = header.value
                return option
            }
            config.httpService = service
        } else {
            var grpc = resolved.grpcService
            if let timeout = otel.grpcTimeoutSeconds { grpc.timeout = ProtoValues.duration(seconds: timeout) }
            grpc.initialMetadata = otel.grpcInitialMetadata.map { entry in
                var header = Envoy_Config_Core_V3_HeaderValue()
                header.key = entry.name
                header.value = entry.value
                return header
            }
            config.grpcService = grpc
        }
        if otel.environmentResourceDetector {
            var detector = Envoy_Config_Core_V3_TypedExtensionConfig()
            detector.name = TracingPlan.environmentDetectorName
            detector.typedConfig = packAny(
                Envoy_Extensions_Tracers_Opentelemetry_ResourceDetectors_V3_EnvironmentResourceDetectorConfig())
            config.resourceDetectors = [detector]
        }
        return config
    }
}

/// A telemetry provider's service (a tracer's or an access log service's) resolved against the registry: its hostname and outbound cluster.
struct ResolvedTracer: Sendable {
    let hostname: String
    let port: Int
    var cluster: String { ClusterName.outbound(port: port, hostname: hostname) }

    /// Envoy's own gRPC client towards the outbound cluster, with the service's hostname as authority.
    var grpcService: Envoy_Config_Core_V3_GrpcService {
        var envoyGRPC = Envoy_Config_Core_V3_GrpcService.EnvoyGrpc()
        envoyGRPC.clusterName = cluster
        envoyGRPC.authority = hostname
        var service = Envoy_Config_Core_V3_GrpcService()
        service.envoyGrpc = envoyGRPC
        return service
    }

    static func resolve(service: String, port: Int, in snapshot: MeshSnapshot) -> ResolvedTracer? {
        guard let hostname = ResolvedExtAuthz.hostname(of: service, in: snapshot),
            snapshot.servicesByHostname[hostname]?.ports.contains(where: { $0.port == port }) == true
        else { return nil }
        return ResolvedTracer(hostname: hostname, port: port)
    }
}
