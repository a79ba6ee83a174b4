import EnvoyAPI
import MeshModel
import SwiftProtobuf
import Testing
import XDSTranslator

/// EnvoyFilter patches over generated CDS, LDS and RDS: each applyTo and operation lands where istiod puts it,
/// matches select what they name and nothing else, and a patched resource names its EnvoyFilter as a source.
@Suite("EnvoyFilter patches")
struct EnvoyFilterPatchTests {
    typealias Cluster = Envoy_Config_Cluster_V3_Cluster
    typealias Listener = Envoy_Config_Listener_V3_Listener
    typealias HCM = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager
    typealias RouteConfiguration = Envoy_Config_Route_V3_RouteConfiguration

    static let mesh = MeshYAML.join(
        MeshYAML.service("web", clusterIP: "10.96.8.1", ports: [("http", 8080, nil)]),
        MeshYAML.service("db", clusterIP: "10.96.8.2", ports: [("tcp", 5432, nil)]),
        MeshYAML.pod("web-1", ip: "10.1.8.1", labels: ["app": "web"]))
    static let webCluster = "outbound|8080||web.default.svc.cluster.local"

    static func filter(
        _ name: String, namespace: String = "default", priority: Int = 0, selector: String? = nil, patches: String
    ) -> String {
        let indented = patches.split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)" }
        return """
            apiVersion: networking.istio.io/v1alpha3
            kind: EnvoyFilter
            metadata:
              name: \(name)
              namespace: \(namespace)
            spec:
              priority: \(priority)
            \(selector.map { "  workloadSelector:\n    labels: {\($0)}" } ?? "")
              configPatches:
            \(indented.joined(separator: "\n"))
            """
    }

    static func fixture(
        _ filters: String..., labels: [String: String] = ["app": "web"], metadata: [String: String] = [:]
    ) throws -> MeshFixture {
        try MeshFixture(
            yaml: MeshYAML.join(([mesh] + filters).joined(separator: "\n---\n")),
            nodeID: sidecarID(ip: "10.1.8.1", pod: "web-1"), metadata: metadata, labels: labels)
    }

    static func httpFilters(_ listener: Listener) throws -> [[String]] {
        try (listener.filterChains + [listener.defaultFilterChain]).flatMap(\.filters).filter {
            $0.name == "envoy.filters.network.http_connection_manager"
        }.map { try HCM(unpackingAny: $0.typedConfig).httpFilters.map(\.name) }
    }

    static let key = ResourceKey(kind: .envoyFilter, namespace: "default", name: "tune")

    @Test("CLUSTER MERGE on the outbound side changes the matched cluster only, and names the filter as its source")
    func clusterMerge() throws {
        let fixture = try Self.fixture(
            Self.filter(
                "tune",
                patches: """
                    - applyTo: CLUSTER
                      match:
                        context: SIDECAR_OUTBOUND
                        cluster: {service: web.default.svc.cluster.local}
                      patch:
                        operation: MERGE
                        value:
                          connect_timeout: 7s
                          per_connection_buffer_limit_bytes: 32768
                          circuit_breakers:
                            thresholds: [{max_connections: 11}]
                    """))
        let messages = fixture.messages(TypeURL.cluster)
        let web = try #require(messages.first { $0.name == Self.webCluster })
        let cluster = try #require(web.message as? Cluster)
        #expect(cluster.connectTimeout.seconds == 7)
        #expect(cluster.perConnectionBufferLimitBytes.value == 32768)
        #expect(cluster.circuitBreakers.thresholds.last?.maxConnections.value == 11)
        #expect(cluster.type == .eds, "what the patch does not set stays as generated")
        #expect(web.sources.contains(Self.key))
        for other in messages where other.name != Self.webCluster {
            #expect(!other.sources.contains(Self.key), "\(other.name) was not patched")
            #expect((other.message as? Cluster)?.connectTimeout.seconds != 7, "\(other.name)")
        }
    }

    @Test("CLUSTER ADD appends a cluster on the outbound side; REMOVE by name takes one out")
    func clusterAddAndRemove() throws {
        let fixture = try Self.fixture(
            Self.filter(
                "tune",
                patches: """
                    - applyTo: CLUSTER
                      patch:
                        operation: ADD
                        value:
                          name: lua_cluster
                          type: STRICT_DNS
                          connect_timeout: 0.5s
                          lb_policy: ROUND_ROBIN
                          load_assignment:
                            cluster_name: lua_cluster
                            endpoints:
                            - lb_endpoints:
                              - endpoint: {address: {socket_address: {address: internal.example, port_value: 8888}}}
                    - applyTo: CLUSTER
                      match: {cluster: {name: BlackHoleCluster}}
                      patch: {operation: REMOVE}
                    """))
        let clusters = fixture.resources(TypeURL.cluster, as: Cluster.self)
        let added = try #require(clusters["lua_cluster"])
        #expect(added.type == .strictDns)
        #expect(added.connectTimeout.nanos == 500_000_000)
        #expect(
            added.loadAssignment.endpoints.first?.lbEndpoints.first?.endpoint.address.socketAddress.portValue == 8888)
        #expect(clusters["BlackHoleCluster"] == nil)
        #expect(clusters[Self.webCluster] != nil)
    }

    @Test("HTTP_FILTER INSERT_BEFORE the router puts a Lua filter on the inbound side of the selected workload only")
    func luaInsertBefore() throws {
        let lua = Self.filter(
            "tune", selector: "app: web",
            patches: """
                - applyTo: HTTP_FILTER
                  match:
                    context: SIDECAR_INBOUND
                    listener:
                      filterChain:
                        filter:
                          name: envoy.filters.network.http_connection_manager
                          subFilter: {name: envoy.filters.http.router}
                  patch:
                    operation: INSERT_BEFORE
                    value:
                      name: envoy.filters.http.lua
                      typed_config:
                        "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
                        default_source_code:
                          inline_string: |
                            function envoy_on_response(handle) handle:headers():add("x-lua", "1") end
                """)
        let fixture = try Self.fixture(lua)
        let listeners = fixture.resources(TypeURL.listener, as: Listener.self)
        let inbound = try Self.httpFilters(try #require(listeners["virtualInbound"]))
        #expect(!inbound.isEmpty)
        for chain in inbound {
            let position = try #require(chain.firstIndex(of: "envoy.filters.http.lua"), "\(chain)")
            #expect(chain[position + 1] == "envoy.filters.http.router")
        }
        let outbound = try Self.httpFilters(try #require(listeners["0.0.0.0_8080"]))
        #expect(!outbound.flatMap { $0 }.contains("envoy.filters.http.lua"))

        let hcm = try (listeners["virtualInbound"]?.filterChains ?? []).flatMap(\.filters).compactMap {
            $0.name == "envoy.filters.network.http_connection_manager" ? try HCM(unpackingAny: $0.typedConfig) : nil
        }.first
        let inserted = try #require(hcm?.httpFilters.first { $0.name == "envoy.filters.http.lua" })
        #expect(inserted.typedConfig.typeURL == "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua")
        let typed = try Envoy_Extensions_Filters_Http_Lua_V3_Lua(unpackingAny: inserted.typedConfig)
        #expect(typed.defaultSourceCode.inlineString.contains("x-lua"))

        let other = try Self.fixture(lua, labels: ["app": "other"])
        let otherInbound = try #require(other.resources(TypeURL.listener, as: Listener.self)["virtualInbound"])
        #expect(
            try Self.httpFilters(otherInbound).allSatisfy { !$0.contains("envoy.filters.http.lua") },
            "the workload selector picks app=web only")
    }

    @Test("priority orders filters: a later REMOVE takes out what an earlier INSERT_FIRST put in")
    func priorityAndRemove() throws {
        let insert = Self.filter(
            "insert", priority: 0,
            patches: """
                - applyTo: HTTP_FILTER
                  match: {listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager}}}}
                  patch:
                    operation: INSERT_FIRST
                    value: {name: my.buffer, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer, max_request_bytes: 1024}}
                """)
        let remove = Self.filter(
            "remove", priority: 5,
            patches: """
                - applyTo: HTTP_FILTER
                  match:
                    context: SIDECAR_OUTBOUND
                    listener:
                      filterChain:
                        filter:
                          name: envoy.filters.network.http_connection_manager
                          subFilter: {name: my.buffer}
                  patch: {operation: REMOVE}
                """)
        let listeners = try Self.fixture(insert, remove).resources(TypeURL.listener, as: Listener.self)
        #expect(try Self.httpFilters(try #require(listeners["virtualInbound"])).allSatisfy { $0.first == "my.buffer" })
        // The buffer filter is a type meshd's Envoy API lacks: it travels as a TypedStruct, every field kept.
        let inbound = try #require(listeners["virtualInbound"])
        let buffer = try inbound.filterChains.flatMap(\.filters).filter {
            $0.name == "envoy.filters.network.http_connection_manager"
        }.compactMap { try HCM(unpackingAny: $0.typedConfig).httpFilters.first }.first
        let typed = try Udpa_Type_V1_TypedStruct(unpackingAny: try #require(buffer).typedConfig)
        #expect(typed.typeURL == "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer")
        #expect(typed.value.fields["max_request_bytes"]?.numberValue == 1024)
        #expect(try Self.httpFilters(try #require(listeners["0.0.0.0_8080"])).allSatisfy { !$0.contains("my.buffer") })
    }

    @Test("NETWORK_FILTER MERGE merges into the HTTP connection manager's typed config, keeping what it had")
    func hcmMerge() throws {
        let fixture = try Self.fixture(
            Self.filter(
                "tune",
                patches: """
                    - applyTo: NETWORK_FILTER
                      match:
                        context: SIDECAR_OUTBOUND
                        listener:
                          portNumber: 8080
                          filterChain: {filter: {name: envoy.filters.network.http_connection_manager}}
                      patch:
                        operation: MERGE
                        value:
                          typed_config:
                            "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                            stream_idle_timeout: 42s
                            upgrade_configs: [{upgrade_type: websocket}]
                    """))
        let listener = try #require(fixture.resources(TypeURL.listener, as: Listener.self)["0.0.0.0_8080"])
        let filter = try #require(
            listener.filterChains.flatMap(\.filters).first {
                $0.name == "envoy.filters.network.http_connection_manager"
            })
        let hcm = try HCM(unpackingAny: filter.typedConfig)
        #expect(hcm.streamIdleTimeout.seconds == 42)
        #expect(hcm.upgradeConfigs.map(\.upgradeType).contains("websocket"))
        #expect(hcm.httpFilters.last?.name == "envoy.filters.http.router", "the generated filters are kept")
        #expect(!hcm.statPrefix.isEmpty)
        let inbound = try #require(fixture.resources(TypeURL.listener, as: Listener.self)["virtualInbound"])
        for filter in inbound.filterChains.flatMap(\.filters) where filter.name.hasSuffix("http_connection_manager") {
            #expect(try HCM(unpackingAny: filter.typedConfig).streamIdleTimeout.seconds != 42)
        }
    }

    @Test("MERGE_AND_REPLACE_LIST replaces a list the patch sets instead of appending to it")
    func mergeAndReplaceList() throws {
        let fixture = try Self.fixture(
            Self.filter(
                "tune",
                patches: """
                    - applyTo: CLUSTER
                      match: {cluster: {service: web.default.svc.cluster.local}}
                      patch:
                        operation: MERGE
                        value: {circuit_breakers: {thresholds: [{max_connections: 5}]}}
                    - applyTo: CLUSTER
                      match: {cluster: {service: web.default.svc.cluster.local}}
                      patch:
                        operation: MERGE_AND_REPLACE_LIST
                        value: {circuit_breakers: {thresholds: [{max_retries: 9}]}}
                    """))
        let cluster = try #require(fixture.resources(TypeURL.cluster, as: Cluster.self)[Self.webCluster])
        #expect(cluster.circuitBreakers.thresholds.count == 1)
        #expect(cluster.circuitBreakers.thresholds.first?.maxRetries.value == 9)
    }

    @Test("route patches: VIRTUAL_HOST MERGE, HTTP_ROUTE INSERT_FIRST on RDS, and HTTP_ROUTE MERGE on inbound routes")
    func routes() throws {
        let fixture = try Self.fixture(
            Self.filter(
                "tune",
                patches: """
                    - applyTo: VIRTUAL_HOST
                      match:
                        context: SIDECAR_OUTBOUND
                        routeConfiguration: {portNumber: 8080, vhost: {name: "web.default.svc.cluster.local:8080"}}
                      patch:
                        operation: MERGE
                        value: {request_headers_to_add: [{header: {key: x-patched, value: "yes"}}]}
                    - applyTo: HTTP_ROUTE
                      match:
                        context: SIDECAR_OUTBOUND
                        routeConfiguration: {portNumber: 8080, vhost: {name: "web.default.svc.cluster.local:8080"}}
                      patch:
                        operation: INSERT_FIRST
                        value: {name: health, match: {prefix: /healthz}, direct_response: {status: 200}}
                    - applyTo: HTTP_ROUTE
                      match:
                        context: SIDECAR_INBOUND
                        routeConfiguration: {vhost: {name: "inbound|http|8080", route: {action: ANY}}}
                      patch:
                        operation: MERGE
                        value: {route: {timeout: 3s}}
                    """))
        let routes = fixture.resources(TypeURL.route, as: RouteConfiguration.self)
        let host = try #require(routes["8080"]?.virtualHosts.first { $0.name == "web.default.svc.cluster.local:8080" })
        #expect(host.requestHeadersToAdd.map(\.header.key) == ["x-patched"])
        #expect(host.routes.first?.name == "health")
        #expect(host.routes.first?.directResponse.status == 200)
        let other = routes["8080"]?.virtualHosts.filter { $0.name != host.name } ?? []
        #expect(other.allSatisfy { $0.requestHeadersToAdd.isEmpty })

        let inbound = try #require(fixture.resources(TypeURL.listener, as: Listener.self)["virtualInbound"])
        let inline = try inbound.filterChains.flatMap(\.filters).filter {
            $0.name == "envoy.filters.network.http_connection_manager"
        }.map { try HCM(unpackingAny: $0.typedConfig).routeConfig }
        let timeouts = inline.flatMap(\.virtualHosts).filter { $0.name == "inbound|http|8080" }.flatMap(\.routes)
            .map(\.route.timeout.seconds)
        #expect(!timeouts.isEmpty)
        #expect(timeouts.allSatisfy { $0 == 3 })
    }

    @Test("match.proxy: a proxyVersion regex over ISTIO_VERSION and metadata values select proxies")
    func proxyMatch() throws {
        let filter = Self.filter(
            "tune",
            patches: """
                - applyTo: CLUSTER
                  match:
                    proxy: {proxyVersion: '^1\\.2[0-9].*', metadata: {ROLE: edge}}
                    cluster: {name: BlackHoleCluster}
                  patch: {operation: REMOVE}
                """)
        let matching = try Self.fixture(filter, metadata: ["ISTIO_VERSION": "1.24.2", "ROLE": "edge"])
        #expect(matching.resources(TypeURL.cluster, as: Cluster.self)["BlackHoleCluster"] == nil)
        for metadata in [["ISTIO_VERSION": "1.19.0", "ROLE": "edge"], ["ROLE": "edge"], ["ISTIO_VERSION": "1.24.2"]] {
            let other = try Self.fixture(filter, metadata: metadata)
            #expect(other.resources(TypeURL.cluster, as: Cluster.self)["BlackHoleCluster"] != nil, "\(metadata)")
        }
    }

    @Test("a root-namespace filter applies to every namespace; another namespace's filter does not")
    func namespaces() throws {
        let patch = """
            - applyTo: CLUSTER
              match: {cluster: {name: BlackHoleCluster}}
              patch: {operation: REMOVE}
            """
        let root = try Self.fixture(Self.filter("tune", namespace: "istio-system", patches: patch))
        #expect(root.resources(TypeURL.cluster, as: Cluster.self)["BlackHoleCluster"] == nil)
        let elsewhere = try Self.fixture(Self.filter("tune", namespace: "other", patches: patch))
        #expect(elsewhere.resources(TypeURL.cluster, as: Cluster.self)["BlackHoleCluster"] != nil)
    }

    @Test("EXTENSION_CONFIG ADD is served over ECDS by name to the proxies the filter selects, naming its source")
    func extensionConfigs() throws {
        let filter = Self.filter(
            "tune", selector: "app: web",
            patches: """
                - applyTo: EXTENSION_CONFIG
                  match: {context: GATEWAY}
                  patch:
                    operation: ADD
                    value:
                      name: lua-config
                      typed_config:
                        "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
                        default_source_code: {inline_string: "function envoy_on_request(h) end"}
                - applyTo: EXTENSION_CONFIG
                  patch:
                    operation: ADD
                    value:
                      name: lua-config
                      typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua}
                - applyTo: EXTENSION_CONFIG
                  patch: {operation: MERGE, value: {name: merged}}
                """)
        let messages = try Self.fixture(filter).messages(TypeURL.extensionConfig)
        #expect(messages.map(\.name) == ["lua-config"], "the first of a name; MERGE adds nothing")
        let config = try #require(messages.first?.message as? Envoy_Config_Core_V3_TypedExtensionConfig)
        let lua = try Envoy_Extensions_Filters_Http_Lua_V3_Lua(unpackingAny: config.typedConfig)
        #expect(lua.defaultSourceCode.inlineString == "function envoy_on_request(h) end", "any context, as istiod")
        #expect(messages.first?.sources == [Self.key])
        #expect(try Self.fixture(filter, labels: ["app": "db"]).messages(TypeURL.extensionConfig).isEmpty)
    }

    @Test("MERGE of fields meshd never generates: they are applied, not refused (Cluster, HCM, virtual host, route)")
    func mergeOfFieldsMeshdDoesNotGenerate() throws {
        let fixture = try Self.fixture(
            Self.filter(
                "tune",
                patches: """
                    - applyTo: CLUSTER
                      match: {context: SIDECAR_OUTBOUND, cluster: {service: web.default.svc.cluster.local}}
                      patch:
                        operation: MERGE
                        value: {lrs_report_endpoint_metrics: [cpu_utilization]}
                    - applyTo: NETWORK_FILTER
                      match:
                        context: SIDECAR_OUTBOUND
                        listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager}}}
                      patch:
                        operation: MERGE
                        value:
                          typed_config:
                            "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                            stream_flush_timeout: 9s
                            append_local_overload: true
                            scheme_header_transformation: {match_upstream: true}
                    - applyTo: VIRTUAL_HOST
                      match: {context: SIDECAR_OUTBOUND}
                      patch:
                        operation: MERGE
                        value: {request_body_buffer_limit: 4096}
                    """))
        let cluster = try #require(fixture.messages(TypeURL.cluster).first { $0.name == Self.webCluster }?.message as? Cluster)
        #expect(cluster.lrsReportEndpointMetrics == ["cpu_utilization"])
        let listener = try #require(fixture.messages(TypeURL.listener).first { $0.name == "0.0.0.0_8080" }?.message as? Listener)
        let managers = try listener.filterChains.flatMap(\.filters).filter {
            $0.name == "envoy.filters.network.http_connection_manager"
        }.map { try HCM(unpackingAny: $0.typedConfig) }
        #expect(!managers.isEmpty)
        for manager in managers {
            #expect(manager.streamFlushTimeout.seconds == 9 && manager.appendLocalOverload)
            #expect(manager.schemeHeaderTransformation.matchUpstream)
        }
        let routes = fixture.messages(TypeURL.route).compactMap { $0.message as? RouteConfiguration }
        let hosts = routes.flatMap(\.virtualHosts)
        #expect(!hosts.isEmpty && hosts.allSatisfy { $0.requestBodyBufferLimit.value == 4096 })
    }
}
