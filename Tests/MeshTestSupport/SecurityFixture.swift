public import Foundation
public import MeshModel

/// AuthorizationPolicies, RequestAuthentications, the mesh config and fetched key sets for a golden case or a test,
/// as JSON with Istio's field names (`security.json` beside `input.yaml`). Until the YAML decoder reads these kinds,
/// this is how translator and discovery tests state them; each maps one to one onto the MeshModel types.
public struct SecurityFixture: Decodable, Sendable {
    struct Meta: Decodable, Sendable {
        var name: String
        var namespace: String?
    }

    struct Source: Decodable, Sendable {
        var principals, notPrincipals, requestPrincipals, notRequestPrincipals: [String]?
        var namespaces, notNamespaces, serviceAccounts, notServiceAccounts: [String]?
        var ipBlocks, notIpBlocks, remoteIpBlocks, notRemoteIpBlocks: [String]?
    }

    struct Operation: Decodable, Sendable {
        var hosts, notHosts, ports, notPorts, methods, notMethods, paths, notPaths: [String]?
    }

    struct Condition: Decodable, Sendable {
        var key: String
        var values: [String]?
        var notValues: [String]?
    }

    struct Rule: Decodable, Sendable {
        struct From: Decodable, Sendable { var source: Source? }
        struct To: Decodable, Sendable { var operation: Operation? }
        var from: [From]?
        var to: [To]?
        var when: [Condition]?
    }

    struct Policy: Decodable, Sendable {
        var metadata: Meta
        var selector: [String: String]?
        var action: String?
        var provider: String?
        var dryRun: Bool?
        var rules: [Rule]?
    }

    struct JWT: Decodable, Sendable {
        struct Header: Decodable, Sendable {
            var name: String
            var prefix: String?
        }
        struct ClaimHeader: Decodable, Sendable {
            var header: String
            var claim: String
        }
        var issuer: String
        var audiences: [String]?
        var jwksUri: String?
        var jwks: String?
        var fromHeaders: [Header]?
        var fromParams: [String]?
        var fromCookies: [String]?
        var outputPayloadToHeader: String?
        var outputClaimToHeaders: [ClaimHeader]?
        var forwardOriginalToken: Bool?
    }

    struct Authentication: Decodable, Sendable {
        var metadata: Meta
        var selector: [String: String]?
        var jwtRules: [JWT]
    }

    struct Provider: Decodable, Sendable {
        struct HTTP: Decodable, Sendable {
            var service: String
            var port: Int
            var timeoutSeconds: Double?
            var pathPrefix: String?
            var failOpen: Bool?
            var statusOnError: Int?
            var includeRequestHeadersInCheck: [String]?
            var includeAdditionalHeadersInCheck: [String: String]?
            var headersToUpstreamOnAllow: [String]?
            var headersToDownstreamOnDeny: [String]?
        }
        struct GRPC: Decodable, Sendable {
            var service: String
            var port: Int
            var timeoutSeconds: Double?
            var failOpen: Bool?
            var statusOnError: Int?
        }
        var name: String
        var envoyExtAuthzHttp: HTTP?
        var envoyExtAuthzGrpc: GRPC?
    }

    struct Mesh: Decodable, Sendable {
        var rootNamespace: String?
        var trustDomain: String?
        var trustDomainAliases: [String]?
        var extensionProviders: [Provider]?
    }

    var meshConfig: Mesh?
    var authorizationPolicies: [Policy]?
    var requestAuthentications: [Authentication]?
    var fetchedJWKS: [String: String]?

    public static func decode(_ data: Data) throws -> SecurityFixture {
        try JSONDecoder().decode(SecurityFixture.self, from: data)
    }

    /// `snapshot` with these policies, mesh config and key sets in force.
    public func apply(to snapshot: inout MeshSnapshot) {
        if let mesh = meshConfig {
            var config = MeshConfig()
            if let root = mesh.rootNamespace { config.rootNamespace = root }
            if let domain = mesh.trustDomain { config.trustDomain = domain }
            config.trustDomainAliases = mesh.trustDomainAliases ?? []
            config.extensionProviders = (mesh.extensionProviders ?? []).compactMap(\.model)
            snapshot.apply(meshConfig: config)
        }
        snapshot.indexSecurityPolicies(
            authorization: (authorizationPolicies ?? []).map(\.model),
            requestAuthentication: (requestAuthentications ?? []).map(\.model))
        if let fetchedJWKS { snapshot = snapshot.withFetchedJWKS(fetchedJWKS) }
    }
}

extension SecurityFixture.Meta {
    var model: ObjectMeta { ObjectMeta(name: name, namespace: namespace ?? "default") }
}

extension SecurityFixture.Policy {
    var model: AuthorizationPolicy {
        AuthorizationPolicy(
            meta: metadata.model, selector: selector,
            action: AuthorizationAction(rawValue: action ?? "ALLOW") ?? .allow,
            provider: provider, rules: (rules ?? []).map(\.model), dryRun: dryRun ?? false)
    }
}

extension SecurityFixture.Rule {
    var model: AuthorizationRule {
        AuthorizationRule(
            from: (from ?? []).map { ($0.source ?? .init()).model },
            to: (to ?? []).map { ($0.operation ?? .init()).model },
            when: (when ?? []).map {
                AuthorizationCondition(key: $0.key, values: $0.values ?? [], notValues: $0.notValues ?? [])
            })
    }
}

extension SecurityFixture.Source {
    var model: AuthorizationSource {
        var source = AuthorizationSource()
        source.principals = principals ?? []
        source.notPrincipals = notPrincipals ?? []
        source.requestPrincipals = requestPrincipals ?? []
        source.notRequestPrincipals = notRequestPrincipals ?? []
        source.namespaces = namespaces ?? []
        source.notNamespaces = notNamespaces ?? []
        source.serviceAccounts = serviceAccounts ?? []
        source.notServiceAccounts = notServiceAccounts ?? []
        source.ipBlocks = ipBlocks ?? []
        source.notIpBlocks = notIpBlocks ?? []
        source.remoteIpBlocks = remoteIpBlocks ?? []
        source.notRemoteIpBlocks = notRemoteIpBlocks ?? []
        return source
    }
}

extension SecurityFixture.Operation {
    var model: AuthorizationOperation {
        var operation = AuthorizationOperation()
        operation.hosts = hosts ?? []
        operation.notHosts = notHosts ?? []
        operation.ports = ports ?? []
        operation.notPorts = notPorts ?? []
        operation.methods = methods ?? []
        operation.notMethods = notMethods ?? []
        operation.paths = paths ?? []
        operation.notPaths = notPaths ?? []
        return operation
    }
}

extension SecurityFixture.Authentication {
    var model: RequestAuthentication {
        RequestAuthentication(
            meta: metadata.model, selector: selector,
            jwtRules: jwtRules.map { rule in
                JWTRule(
                    issuer: rule.issuer, audiences: rule.audiences ?? [], jwksURI: rule.jwksUri, jwks: rule.jwks,
                    fromHeaders: (rule.fromHeaders ?? []).map { JWTHeader(name: $0.name, prefix: $0.prefix ?? "") },
                    fromParams: rule.fromParams ?? [], fromCookies: rule.fromCookies ?? [],
                    outputPayloadToHeader: rule.outputPayloadToHeader,
                    outputClaimToHeaders: (rule.outputClaimToHeaders ?? []).map {
                        JWTClaimToHeader(header: $0.header, claim: $0.claim)
                    },
                    forwardOriginalToken: rule.forwardOriginalToken ?? false)
            })
    }
}

extension SecurityFixture.Provider {
    var model: ExtensionProvider? {
        if let http = envoyExtAuthzHttp {
            return ExtensionProvider(
                name: name,
                kind: .envoyExtAuthzHTTP(
                    ExtAuthzHTTPProvider(
                        service: http.service, port: http.port, timeoutSeconds: http.timeoutSeconds,
                        pathPrefix: http.pathPrefix, failOpen: http.failOpen ?? false,
                        statusOnError: http.statusOnError,
                        includeRequestHeadersInCheck: http.includeRequestHeadersInCheck ?? [],
                        includeAdditionalHeadersInCheck: http.includeAdditionalHeadersInCheck ?? [:],
                        headersToUpstreamOnAllow: http.headersToUpstreamOnAllow ?? [],
                        headersToDownstreamOnDeny: http.headersToDownstreamOnDeny ?? [])))
        }
        if let grpc = envoyExtAuthzGrpc {
            return ExtensionProvider(
                name: name,
                kind: .envoyExtAuthzGRPC(
                    ExtAuthzGRPCProvider(
                        service: grpc.service, port: grpc.port, timeoutSeconds: grpc.timeoutSeconds,
                        failOpen: grpc.failOpen ?? false, statusOnError: grpc.statusOnError)))
        }
        return nil
    }
}
