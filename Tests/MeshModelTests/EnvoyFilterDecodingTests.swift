import MeshModel
import Testing

/// EnvoyFilter (networking.istio.io/v1alpha3): what is read, istiod's refusals with their field paths, how patch
/// values become Envoy messages (a type meshd lacks as a TypedStruct, an unknown field refused), and which filters
/// apply to a workload in which order.
@Suite("EnvoyFilter decoding")
struct EnvoyFilterDecodingTests {
    static func filter(
        _ spec: String, name: String = "f", namespace: String = "default", extraMeta: String = ""
    )
        -> String
    {
        """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata:
          name: \(name)
          namespace: \(namespace)
        \(extraMeta)
        spec:
        \(spec)
        """
    }

    static func decoded(_ spec: String) -> EnvoyFilter? {
        guard case .envoyFilter(let filter) = onlyResource(decode(filter(spec))) else { return nil }
        return filter
    }

    /// The errors of decoding `spec`, as `path: reason`.
    static func errors(_ spec: String) -> [String] {
        decode(filter(spec)).errors.map { "\($0.fieldPath): \($0.reason)" }
    }

    @Test("a cluster MERGE is read with its match, and its value as an Envoy Cluster")
    func clusterMerge() throws {
        let filter = try #require(
            Self.decoded(
                """
                  workloadSelector: {labels: {app: web}}
                  priority: -3
                  configPatches:
                  - applyTo: CLUSTER
                    match:
                      context: SIDECAR_OUTBOUND
                      proxy: {proxyVersion: '^1\\.2.*', metadata: {ROLE: edge}}
                      cluster: {service: web.default.svc.cluster.local, portNumber: 8080, subset: v1}
                    patch:
                      operation: MERGE
                      value: {connect_timeout: 2s, per_connection_buffer_limit_bytes: 1024}
                """))
        #expect(filter.workloadSelector == ["app": "web"])
        #expect(filter.priority == -3)
        let patch = try #require(filter.configPatches.first)
        #expect(patch.applyTo == .cluster)
        #expect(patch.operation == .merge)
        #expect(patch.match.context == .sidecarOutbound)
        #expect(patch.match.proxyVersion == "^1\\.2.*")
        #expect(patch.match.proxyMetadata == ["ROLE": "edge"])
        guard case .cluster(let match)? = patch.match.object else {
            Issue.record("no cluster match")
            return
        }
        #expect(match.service == "web.default.svc.cluster.local")
        #expect(match.portNumber == 8080)
        #expect(match.subset == "v1")
        #expect(patch.value?.typeName == "envoy.config.cluster.v3.Cluster")
        #expect(patch.value?.json.contains("connect_timeout") == true)
    }

    @Test("an extension type meshd lacks travels as a TypedStruct; an explicit TypedStruct is kept as written")
    func typedStruct() throws {
        let filter = try #require(
            Self.decoded(
                """
                  configPatches:
                  - applyTo: HTTP_FILTER
                    patch:
                      operation: INSERT_FIRST
                      value:
                        name: envoy.filters.http.compressor
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor
                          compressor_library:
                            name: text_optimized
                            typed_config:
                              "@type": type.googleapis.com/envoy.extensions.compression.gzip.compressor.v3.Gzip
                              memory_level: 3
                  - applyTo: HTTP_FILTER
                    patch:
                      operation: ADD
                      value:
                        name: envoy.filters.http.local_ratelimit
                        typed_config:
                          "@type": type.googleapis.com/udpa.type.v1.TypedStruct
                          type_url: type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                          value: {stat_prefix: http_local_rate_limiter}
                """))
        #expect(filter.configPatches.count == 2)
        let compressor = try #require(filter.configPatches.first?.value?.json)
        #expect(
            compressor.hasPrefix(
                #"{"name":"envoy.filters.http.compressor","typed_config":{"@type":"type.googleapis.com/udpa.type.v1.TypedStruct","type_url":"type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor","value":{"compressor_library""#
            ), "\(compressor)")
        // The nested Any stays as written inside the TypedStruct: Envoy reads it with the rest.
        #expect(
            compressor.contains(
                #""@type":"type.googleapis.com/envoy.extensions.compression.gzip.compressor.v3.Gzip","memory_level":3"#)
        )
        let explicit = try #require(filter.configPatches.last?.value?.json)
        #expect(explicit.contains("local_ratelimit.v3.LocalRateLimit"))
    }

    @Test("an unknown field of a type meshd has is refused with its path, in a MERGE and inside a MERGE's Any")
    func unknownFieldRefused() {
        let errors = Self.errors(
            """
              configPatches:
              - applyTo: CLUSTER
                patch:
                  operation: MERGE
                  value: {conect_timeout: 2s}
            """)
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("spec.configPatches[0].patch.value.conect_timeout: unknown field") == true)
        let nested = Self.errors(
            """
              configPatches:
              - applyTo: NETWORK_FILTER
                patch:
                  operation: MERGE
                  value:
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                      stream_idle_timout: 5s
            """)
        #expect(nested.count == 1)
        #expect(
            nested.first?.hasPrefix("spec.configPatches[0].patch.value.typed_config.stream_idle_timout: unknown field")
                == true, "\(nested)")
    }

    @Test("an ADD may carry fields meshd's subset lacks inside a typed config: it goes to Envoy as a TypedStruct")
    func addFallsBackToTypedStruct() throws {
        let filter = try #require(
            Self.decoded(
                """
                  configPatches:
                  - applyTo: NETWORK_FILTER
                    patch:
                      operation: INSERT_FIRST
                      value:
                        name: envoy.filters.network.http_connection_manager
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                          stat_prefix: extra
                          some_future_field: true
                """))
        let json = try #require(filter.configPatches.first?.value?.json)
        #expect(json.contains("udpa.type.v1.TypedStruct"))
        #expect(json.contains("some_future_field"))
    }

    @Test("a value of the wrong shape is refused naming the patch, and the object is not served")
    func wrongShape() {
        let errors = Self.errors(
            """
              configPatches:
              - applyTo: CLUSTER
                match: {cluster: {name: x}}
                patch:
                  operation: MERGE
                  value: {connect_timeout: ten seconds}
            """)
        #expect(errors.count == 1)
        #expect(
            errors.first?.hasPrefix("spec.configPatches[0].patch.value: does not fit envoy.config.cluster.v3.Cluster")
                == true, "\(errors)")
        #expect(
            decode(Self.filter("  configPatches:\n  - applyTo: CLUSTER\n    patch: {operation: MERGE, value: [1]}"))
                .objects.isEmpty)
    }

    @Test("istiod's refusals, each at its path")
    func refusals() {
        let cases: [(String, String)] = [
            ("- patch: {operation: REMOVE}", "spec.configPatches[0].applyTo: Envoy filter: missing applyTo"),
            ("- applyTo: CLUSTER", "spec.configPatches[0].patch: Envoy filter: missing patch"),
            (
                "- applyTo: CLUSTER\n    patch: {value: {name: x}}",
                "spec.configPatches[0].patch.operation: Envoy filter: missing patch operation"
            ),
            (
                "- applyTo: CLUSTER\n    patch: {operation: ADD}",
                "spec.configPatches[0].patch.value: Envoy filter: missing patch value for non-remove operation"
            ),
            (
                "- applyTo: HTTP_FILTER\n    match: {cluster: {name: x}}\n    patch: {operation: REMOVE}",
                "spec.configPatches[0].match: Envoy filter: applyTo for listener class objects cannot have non listener match"
            ),
            (
                "- applyTo: CLUSTER\n    match: {listener: {name: x}}\n    patch: {operation: REMOVE}",
                "spec.configPatches[0].match: Envoy filter: applyTo for cluster class objects cannot have non cluster match"
            ),
            (
                "- applyTo: VIRTUAL_HOST\n    match: {cluster: {name: x}}\n    patch: {operation: REMOVE}",
                "spec.configPatches[0].match: Envoy filter: applyTo for http route class objects cannot have non route configuration match"
            ),
            (
                "- applyTo: NETWORK_FILTER\n    match: {listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: x}}}}}\n    patch: {operation: REMOVE}",
                "spec.configPatches[0].match.listener.filterChain.filter.subFilter: Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only"
            ),
            (
                "- applyTo: HTTP_FILTER\n    match: {listener: {filterChain: {filter: {name: envoy.filters.network.tcp_proxy, subFilter: {name: x}}}}}\n    patch: {operation: REMOVE}",
                "spec.configPatches[0].match.listener.filterChain.filter.subFilter: Envoy filter: subfilter match requires filter match with envoy.filters.network.http_connection_manager"
            ),
            (
                "- applyTo: HTTP_FILTER\n    match: {listener: {filterChain: {filter: {subFilter: {name: x}}}}}\n    patch: {operation: REMOVE}",
                "spec.configPatches[0].match.listener.filterChain.filter.name: Envoy filter: filter match has no name to match on"
            ),
            (
                "- applyTo: CLUSTER\n    match: {proxy: {proxyVersion: '(unclosed'}}\n    patch: {operation: REMOVE}",
                "spec.configPatches[0].match.proxy.proxyVersion: Envoy filter: invalid regex for proxy version, [(unclosed]"
            ),
            (
                "- applyTo: HTTP_FILTER\n    match: {context: SIDECAR_INBOUND, waypoint: {}}\n    patch: {operation: REMOVE}",
                "spec.configPatches[0].match: only support waypointMatch when context is WAYPOINT"
            ),
            (
                "- applyTo: HTTP_FILTER\n    match: {context: WAYPOINT, listener: {name: x}}\n    patch: {operation: REMOVE}",
                "spec.configPatches[0].match: only support waypointMatch when context is WAYPOINT"
            ),
            (
                "- applyTo: HTTP_FILTER\n    match: {context: WAYPOINT, waypoint: {portNumber: 65536}}\n    patch: {operation: REMOVE}",
                "spec.configPatches[0].match.waypoint.portNumber: port must be between 1-65535"
            ),
            (
                "- applyTo: CLUSTERS\n    patch: {operation: REMOVE}",
                "spec.configPatches[0].applyTo: unknown applyTo \"CLUSTERS\""
            ),
        ]
        for (patches, expected) in cases {
            let errors = Self.errors("  configPatches:\n  " + patches)
            #expect(errors.contains { $0.hasPrefix(expected) }, "\(patches)\n→ \(errors)")
        }
    }

    @Test("ECDS: a filter fetching its config (config_discovery) and an EXTENSION_CONFIG ADD are kept; other ops warned")
    func extensionConfigDiscovery() throws {
        let yaml = Self.filter(
            """
              configPatches:
              - applyTo: HTTP_FILTER
                patch: {operation: ADD, value: {name: x, config_discovery: {config_source: {ads: {}}, type_urls: [t]}}}
              - applyTo: EXTENSION_CONFIG
                patch:
                  operation: ADD
                  value:
                    name: x
                    typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua}
              - applyTo: EXTENSION_CONFIG
                patch: {operation: MERGE, value: {name: y}}
            """)
        let result = decode(yaml)
        #expect(result.errors.isEmpty, "\(result.errors)")
        let patchWarnings = result.warnings.map(\.fieldPath).filter { $0.hasPrefix("spec.configPatches") }
        #expect(patchWarnings == ["spec.configPatches[2].patch.operation"], "\(result.warnings)")
        guard case .envoyFilter(let filter) = onlyResource(result) else {
            Issue.record("not served")
            return
        }
        #expect(filter.configPatches.map(\.applyTo) == [.httpFilter, .extensionConfig, .extensionConfig])
        let discovered = try #require(filter.configPatches[0].value)
        #expect(discovered.typeName == "envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter")
        #expect(discovered.json.contains("config_discovery"), "\(discovered.json)")
        let config = try #require(filter.configPatches[1].value)
        #expect(config.typeName == "envoy.config.core.v3.TypedExtensionConfig")
        #expect(config.json.contains("envoy.extensions.filters.http.lua.v3.Lua"), "\(config.json)")
    }

    @Test("the filters of a workload: root namespace and own namespace, by priority, root first, then creation time")
    func ordering() throws {
        func object(
            _ name: String, _ namespace: String, priority: Int, created: String, selector: String? = nil
        )
            -> String
        {
            Self.filter(
                """
                \(selector.map { "  workloadSelector: {labels: {\($0)}}" } ?? "")
                  priority: \(priority)
                  configPatches:
                  - applyTo: CLUSTER
                    patch: {operation: REMOVE}
                """, name: name, namespace: namespace, extraMeta: "  creationTimestamp: \"\(created)\"")
        }
        let yaml = [
            object("late", "default", priority: 0, created: "2026-01-02T00:00:00Z"),
            object("early", "default", priority: 0, created: "2026-01-01T00:00:00Z"),
            object("mesh", "istio-system", priority: 0, created: "2026-06-01T00:00:00Z"),
            object("first", "default", priority: -1, created: "2026-09-01T00:00:00Z"),
            object("other-app", "default", priority: -5, created: "2026-01-01T00:00:00Z", selector: "app: db"),
            object("other-ns", "prod", priority: -9, created: "2026-01-01T00:00:00Z"),
        ].joined(separator: "\n---\n")
        let result = decode(yaml)
        #expect(result.errors.isEmpty, "\(result.errors)")
        let snapshot = MeshSnapshot.build(from: result.objects)
        let names = snapshot.envoyFilters(namespace: "default", labels: ["app": "web"]).map(\.meta.name)
        #expect(names == ["first", "mesh", "early", "late"])
    }
}
