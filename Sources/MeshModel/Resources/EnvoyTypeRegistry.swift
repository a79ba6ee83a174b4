import EnvoyAPI
import SwiftProtobuf

/// Registers every Envoy message type meshd's Envoy API has that can sit in a `google.protobuf.Any`: the translator
/// packs them (and JSON encoding of golden files and config dumps expands them), and EnvoyFilter patch values
/// decode `@type` objects through them. Runs once per process; SwiftProtobuf's registry is thread-safe.
public enum EnvoyTypeRegistry {
    public static let registered: Bool = {
        let types: [any SwiftProtobuf.Message.Type] = [
            Envoy_Config_Cluster_V3_Cluster.self,
            Envoy_Config_Listener_V3_Listener.self,
            Envoy_Config_Listener_V3_ApiListener.self,
            Envoy_Config_Route_V3_RouteConfiguration.self,
            Envoy_Config_Endpoint_V3_ClusterLoadAssignment.self,
            Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.self,
            Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy.self,
            Envoy_Extensions_Filters_Listener_OriginalDst_V3_OriginalDst.self,
            Envoy_Extensions_Filters_Http_Router_V3_Router.self,
            Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions.self,
            Envoy_Extensions_Filters_Listener_TlsInspector_V3_TlsInspector.self,
            Envoy_Extensions_TransportSockets_Tls_V3_Secret.self,
            Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext.self,
            Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext.self,
            Envoy_Extensions_Filters_Http_Fault_V3_HTTPFault.self,
            Envoy_Extensions_Filters_Http_Cors_V3_Cors.self,
            Envoy_Extensions_Filters_Http_Cors_V3_CorsPolicy.self,
            Envoy_Extensions_Retry_Host_PreviousHosts_V3_PreviousHostsPredicate.self,
            Envoy_Extensions_Retry_Priority_PreviousPriorities_V3_PreviousPrioritiesConfig.self,
            Envoy_Extensions_Filters_Http_Rbac_V3_RBAC.self,
            Envoy_Extensions_Filters_Network_Rbac_V3_RBAC.self,
            Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtAuthentication.self,
            Envoy_Extensions_Filters_Http_ExtAuthz_V3_ExtAuthz.self,
            Envoy_Extensions_Filters_Network_ExtAuthz_V3_ExtAuthz.self,
            Envoy_Extensions_Path_Match_UriTemplate_V3_UriTemplateMatchConfig.self,
            Envoy_Extensions_AccessLoggers_File_V3_FileAccessLog.self,
            Envoy_Extensions_AccessLoggers_Filters_Cel_V3_ExpressionFilter.self,
            Envoy_Config_Trace_V3_ZipkinConfig.self,
            Envoy_Config_Trace_V3_OpenTelemetryConfig.self,
            Envoy_Extensions_RequestId_Uuid_V3_UuidRequestIdConfig.self,
            Envoy_Extensions_Tracers_Opentelemetry_ResourceDetectors_V3_EnvironmentResourceDetectorConfig.self,
            Envoy_Extensions_AccessLoggers_Grpc_V3_HttpGrpcAccessLogConfig.self,
            Envoy_Extensions_AccessLoggers_Grpc_V3_TcpGrpcAccessLogConfig.self,
            Envoy_Extensions_AccessLoggers_OpenTelemetry_V3_OpenTelemetryAccessLogConfig.self,
            Udpa_Type_V1_TypedStruct.self,
            Xds_Type_V3_TypedStruct.self,
            Envoy_Extensions_Filters_Http_Lua_V3_Lua.self,
            Envoy_Extensions_Filters_Http_Lua_V3_LuaPerRoute.self,
            Envoy_Extensions_Filters_Http_LocalRatelimit_V3_LocalRateLimit.self,
            Envoy_Config_Route_V3_FilterConfig.self,
        ]
        return types.map { Google_Protobuf_Any.register(messageType: $0) }.allSatisfy { $0 }
    }()
}
