import EnvoyAPI
import MeshModel
import SwiftProtobuf

/// A mesh config extension provider resolved against the registry: the service's hostname and the outbound cluster
/// ext_authz calls (`outbound|<port>||<hostname>`), which every proxy gets even under a Sidecar egress restriction.
struct ResolvedExtAuthz: Sendable {
    let provider: ExtensionProvider
    let hostname: String
    let port: Int
    var cluster: String { ClusterName.outbound(port: port, hostname: hostname) }

    /// Resolves `service` as istiod does: `<namespace>/<name>` (a service of that namespace by short name or
    /// hostname) or a registry hostname. Fails with a reason when no such service exists or a field is out of range.
    static func resolve(_ provider: ExtensionProvider, in snapshot: MeshSnapshot) -> Result<Self, ConditionFailure> {
        let (service, port, status): (String, Int, Int?)
        switch provider.kind {
        case .envoyExtAuthzHTTP(let http): (service, port, status) = (http.service, http.port, http.statusOnError)
        case .envoyExtAuthzGRPC(let grpc): (service, port, status) = (grpc.service, grpc.port, grpc.statusOnError)
        default:
            return .failure(
                .init(
                    key: "extensionProviders[\(provider.name)]", value: provider.kind.name,
                    reason: "is not an ext_authz provider (envoyExtAuthzHttp or envoyExtAuthzGrpc)"))
        }
        let fail = { (reason: String) in
            Result<Self, ConditionFailure>.failure(
                .init(key: "extensionProviders[\(provider.name)]", value: service, reason: reason))
        }
        guard (1...65535).contains(port) else { return fail("port \(port) is not in [1, 65535]") }
        if let status, Envoy_Type_V3_StatusCode(rawValue: status).map({ $0.isKnown }) != true {
            return fail("statusOnError \(status) is not an HTTP status Envoy knows")
        }
        guard let hostname = hostname(of: service, in: snapshot) else {
            return fail("no service \(service) in the registry")
        }
        guard snapshot.servicesByHostname[hostname]?.ports.contains(where: { $0.port == port }) == true else {
            return fail("service \(hostname) has no port \(port)")
        }
        return .success(Self(provider: provider, hostname: hostname, port: port))
    }

    static func hostname(of service: String, in snapshot: MeshSnapshot) -> String? {
        let parts = service.split(separator: "/", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            let (namespace, name) = (parts[0], parts[1])
            return snapshot.services.first {
                $0.namespace == namespace && ($0.hostname == name || $0.shortName == name)
            }?.hostname
        }
        return snapshot.servicesByHostname[service]?.hostname
    }

    /// The ext_authz HTTP filter; it only runs for requests a CUSTOM rule of this provider matched (the shadow RBAC
    /// filter before it records the matched policy under `istio_ext_authz_shadow_effective_policy_id`).
    var httpFilter: Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter {
        var config = Envoy_Extensions_Filters_Http_ExtAuthz_V3_ExtAuthz()
        config.transportApiVersion = .v3
        config.filterEnabledMetadata = Self.enabledMetadata(filter: "envoy.filters.http.rbac", provider: provider.name)
        switch provider.kind {
        case .envoyExtAuthzHTTP(let http):
            var service = Envoy_Extensions_Filters_Http_ExtAuthz_V3_HttpService()
            var uri = Envoy_Config_Core_V3_HttpUri()
            uri.uri = "http://\(hostname)"
            uri.cluster = cluster
            uri.timeout = ProtoValues.duration(seconds: http.timeoutSeconds ?? 600)
            service.serverUri = uri
            service.pathPrefix = http.pathPrefix ?? ""
            if !http.includeAdditionalHeadersInCheck.isEmpty {
                var request = Envoy_Extensions_Filters_Http_ExtAuthz_V3_AuthorizationRequest()
                request.headersToAdd = http.includeAdditionalHeadersInCheck.sorted { $0.key < $1.key }.map { entry in
                    var header = Envoy_Config_Core_V3_HeaderValue()
                    header.key = entry.key
                    header.value = entry.value
                    return header
                }
                service.authorizationRequest = request
            }
            if !http.headersToUpstreamOnAllow.isEmpty || !http.headersToDownstreamOnDeny.isEmpty
                || !http.headersToDownstreamOnAllow.isEmpty
            {
                var response = Envoy_Extensions_Filters_Http_ExtAuthz_V3_AuthorizationResponse()
                if let list = Self.headers(http.headersToUpstreamOnAllow) { response.allowedUpstreamHeaders = list }
                if let list = Self.headers(http.headersToDownstreamOnDeny) { response.allowedClientHeaders = list }
                if let list = Self.headers(http.headersToDownstreamOnAllow) {
                    response.allowedClientHeadersOnSuccess = list
                }
                service.authorizationResponse = response
            }
            if let list = Self.headers(http.includeRequestHeadersInCheck) { config.allowedHeaders = list }
            config.httpService = service
            config.failureModeAllow = http.failOpen
            if let status = http.statusOnError { config.statusOnError = Self.status(status) }
            if let body = http.includeRequestBodyInCheck { config.withRequestBody = Self.body(body) }
        case .envoyExtAuthzGRPC(let grpc):
            config.grpcService = grpcService(timeoutSeconds: grpc.timeoutSeconds)
            config.failureModeAllow = grpc.failOpen
            if let status = grpc.statusOnError { config.statusOnError = Self.status(status) }
            if let body = grpc.includeRequestBodyInCheck { config.withRequestBody = Self.body(body) }
        default:
            // `resolve` refuses these kinds, so no ResolvedExtAuthz holds one.
            break
        }
        var filter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        filter.name = "envoy.filters.http.ext_authz"
        filter.typedConfig = packAny(config)
        return filter
    }

    /// The network ext_authz filter for TCP chains; only gRPC providers have one (nil for HTTP providers).
    var networkFilter: Envoy_Config_Listener_V3_Filter? {
        guard case .envoyExtAuthzGRPC(let grpc) = provider.kind else { return nil }
        var config = Envoy_Extensions_Filters_Network_ExtAuthz_V3_ExtAuthz()
        config.statPrefix = "tcp."
        config.grpcService = grpcService(timeoutSeconds: grpc.timeoutSeconds)
        config.failureModeAllow = grpc.failOpen
        config.transportApiVersion = .v3
        config.filterEnabledMetadata = Self.enabledMetadata(
            filter: "envoy.filters.network.rbac", provider: provider.name)
        var filter = Envoy_Config_Listener_V3_Filter()
        filter.name = "envoy.filters.network.ext_authz"
        filter.typedConfig = packAny(config)
        return filter
    }

    /// Envoy's gRPC client towards the provider's cluster; the authority replaces `|`, which gRPC servers refuse.
    private func grpcService(timeoutSeconds: Double?) -> Envoy_Config_Core_V3_GrpcService {
        var envoyGRPC = Envoy_Config_Core_V3_GrpcService.EnvoyGrpc()
        envoyGRPC.clusterName = cluster
        envoyGRPC.authority = cluster.replacingAll("|", with: "_.")
        var service = Envoy_Config_Core_V3_GrpcService()
        service.envoyGrpc = envoyGRPC
        if let timeoutSeconds { service.timeout = ProtoValues.duration(seconds: timeoutSeconds) }
        return service
    }

    /// The policy-name prefix of this provider's CUSTOM rules.
    static func policyPrefix(provider: String) -> String { "istio-ext-authz-\(provider)-" }
    /// The shadow stat prefix of the CUSTOM RBAC filter (and of the metadata key ext_authz reads).
    static let shadowStatPrefix = "istio_ext_authz_"

    static func enabledMetadata(filter: String, provider: String) -> Envoy_Type_Matcher_V3_MetadataMatcher {
        var matcher = EnvoyStringMatcher()
        matcher.prefix = policyPrefix(provider: provider)
        let sourced = AuthorizationMatchers.metadata(
            filter: filter, path: ["\(shadowStatPrefix)shadow_effective_policy_id"],
            value: AuthorizationMatchers.stringValue(matcher))
        return sourced.metadataMatcher
    }

    private static func headers(_ names: [String]) -> Envoy_Type_Matcher_V3_ListStringMatcher? {
        guard !names.isEmpty else { return nil }
        var list = Envoy_Type_Matcher_V3_ListStringMatcher()
        list.patterns = names.map { name in
            var matcher = AuthorizationMatchers.string(name)
            matcher.ignoreCase = !matcher.hasSafeRegexPattern
            return matcher
        }
        return list
    }

    private static func status(_ code: Int) -> Envoy_Type_V3_HttpStatus {
        var status = Envoy_Type_V3_HttpStatus()
        status.code = Envoy_Type_V3_StatusCode(rawValue: code) ?? .forbidden
        return status
    }

    private static func body(_ body: ExtAuthzRequestBody) -> Envoy_Extensions_Filters_Http_ExtAuthz_V3_BufferSettings {
        var settings = Envoy_Extensions_Filters_Http_ExtAuthz_V3_BufferSettings()
        settings.maxRequestBytes = UInt32(clamping: body.maxRequestBytes)
        settings.allowPartialMessage = body.allowPartialMessage
        settings.packAsBytes = body.packAsBytes
        return settings
    }
}

extension Envoy_Type_V3_StatusCode {
    /// False for values the enum does not name.
    fileprivate var isKnown: Bool {
        if case .UNRECOGNIZED = self { return false }
        return self != .empty
    }
}

extension EnvoyStringMatcher {
    fileprivate var hasSafeRegexPattern: Bool {
        if case .safeRegex = matchPattern { return true }
        return false
    }
}

extension String {
    /// Every `target` replaced (without Foundation).
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self {
            if character == target { out += replacement } else { out.append(character) }
        }
        return out
    }
}
