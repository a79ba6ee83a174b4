import Foundation
import MeshTestSupport
import Testing

/// EnvoyFilter through real Envoys: a mesh-wide CLUSTER MERGE shows in the client's config_dump; a Lua HTTP filter
/// inserted before the server's router (a type meshd's Envoy API lacks, carried as a TypedStruct) adds a response
/// header the client sees; a later EnvoyFilter with a higher priority REMOVEs it again; a bad patch is refused with
/// its field path while the last good config stays in force; a patch Envoy refuses is traced back to its EnvoyFilter,
/// file and line, by the NACK explanation.
@Suite("EnvoyFilter end to end", .serialized, .tags(.e2e))
struct EnvoyFilterTests {
    static let clusterIP = "10.96.0.86"
    static let port = 9080
    static let host = "filtered.default.svc.cluster.local"
    static let cluster = "outbound|\(port)||\(host)"

    static func config(client: Pod, server: Pod) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: filtered, namespace: default}
        spec:
          clusterIP: \(clusterIP)
          selector: {app: filtered}
          ports: [{name: http, port: \(port), targetPort: \(port)}]
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: \(server.name), namespace: default}
        spec: {address: \(server.ip), serviceAccount: \(server.serviceAccount), labels: {app: filtered}}
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: \(client.name), namespace: default}
        spec: {address: \(client.ip), serviceAccount: \(client.serviceAccount), labels: {app: caller}}
        ---
        # Every cluster of the mesh, as operators tune them: a connect timeout and connection limits.
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: cluster-tuning, namespace: istio-system}
        spec:
          configPatches:
          - applyTo: CLUSTER
            match:
              context: SIDECAR_OUTBOUND
              cluster: {service: \(host)}
            patch:
              operation: MERGE
              value:
                connect_timeout: 3.5s
                max_requests_per_connection: 100
                per_connection_buffer_limit_bytes: 65000
          # meshd's own thresholds list replaced, not appended to.
          - applyTo: CLUSTER
            match:
              context: SIDECAR_OUTBOUND
              cluster: {service: \(host)}
            patch:
              operation: MERGE_AND_REPLACE_LIST
              value:
                circuit_breakers:
                  thresholds: [{max_connections: 321, max_requests: 654}]
        ---
        \(luaFilter(
            "lua-header", filterName: "envoy.filters.http.lua",
            code: #"function envoy_on_response(handle) handle:headers():add("x-envoyfilter", "lua") end"#))
        """
    }

    /// An EnvoyFilter that inserts a Lua filter named `filterName` running `code` before the server's router.
    static func luaFilter(_ name: String, filterName: String, code: String) -> String {
        """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: \(name), namespace: default}
        spec:
          workloadSelector: {labels: {app: filtered}}
          configPatches:
        \(beforeServerRouter(value: """
              name: \(filterName)
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
                default_source_code: {inline_string: '\(code)'}
            """))
        """
    }

    /// An HTTP_FILTER patch (a `configPatches` entry) that inserts `value` before the router of the server's inbound
    /// HttpConnectionManagers; `value` is the filter's YAML, its lines at the value's own indentation.
    static func beforeServerRouter(value: String) -> String {
        let indented = value.split(separator: "\n").map { "        \($0)" }.joined(separator: "\n")
        return """
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
            \(indented)
            """
    }

    static let remove = """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: lua-removed, namespace: default}
        spec:
          priority: 10
          workloadSelector: {labels: {app: filtered}}
          configPatches:
          - applyTo: HTTP_FILTER
            match:
              context: SIDECAR_INBOUND
              listener:
                filterChain:
                  filter:
                    name: envoy.filters.network.http_connection_manager
                    subFilter: {name: envoy.filters.http.lua}
            patch: {operation: REMOVE}
        """

    /// The `x-envoyfilter` response header of one request from `client`; nil when the request failed.
    static func header(from client: Pod) async throws -> String?? {
        let traffic = try await client.exchange(
            "http://\(clusterIP):\(port)/", host: host, count: 1, capture: 1, maxSeconds: 5, perRequestTimeout: 2)
        guard let response = traffic.responses.first, response.status == 200 else { return nil }
        return .some(response.header("x-envoyfilter"))
    }

    /// The client Envoy's dynamic cluster `name` from its config dump.
    static func dumpedCluster(_ sidecar: Sidecar, name: String) throws -> [String: Any]? {
        let dump = try sidecar.admin("/config_dump?resource=dynamic_active_clusters")
        guard let root = try dump.json() as? [String: Any], let configs = root["configs"] as? [[String: Any]] else {
            return nil
        }
        return configs.compactMap { $0["cluster"] as? [String: Any] }.first { $0["name"] as? String == name }
    }

    @Test("cluster MERGE in config_dump, Lua INSERT_BEFORE seen by the client, REMOVE, a bad patch refused")
    func envoyFilters() async throws {
        try await MeshNetwork.with(label: "envfilter") { network in
            let client = try network.addPod(name: "caller", labels: ["app": "caller"], serviceAccount: "caller")
            let server = try network.addPod(name: "filtered", labels: ["app": "filtered"], serviceAccount: "filtered")
            let meshd = try await MeshdProcess.start(
                in: network, configFiles: ["mesh.yaml": Self.config(client: client, server: server)])
            try await server.startEchoServer(service: "filtered", port: Self.port)
            let clientSidecar = try client.startSidecar(bootstrapJSON: meshd.bootstrap(for: client))
            let serverSidecar = try server.startSidecar(bootstrapJSON: meshd.bootstrap(for: server))
            for sidecar in [clientSidecar, serverSidecar] { try await sidecar.waitUntilReady() }

            // 1. The CLUSTER MERGE, as Envoy runs it.
            let cluster = try #require(try Self.dumpedCluster(clientSidecar, name: Self.cluster))
            #expect(cluster["connect_timeout"] as? String == "3.500s")
            #expect("\(cluster["max_requests_per_connection"] ?? "")" == "100", "\(cluster)")
            #expect("\(cluster["per_connection_buffer_limit_bytes"] ?? "")" == "65000", "\(cluster)")
            let thresholds = (cluster["circuit_breakers"] as? [String: Any])?["thresholds"] as? [[String: Any]] ?? []
            #expect(thresholds.count == 1, "\(cluster)")
            #expect("\(thresholds.first?["max_connections"] ?? "")" == "321", "\(cluster)")
            #expect("\(thresholds.first?["max_requests"] ?? "")" == "654", "\(cluster)")

            // 2. The Lua filter on the server's inbound side answers with its header.
            let added = try await Poll.until("the Lua header", timeout: .seconds(20)) { () -> String? in
                guard let header = try await Self.header(from: client) else { return nil }
                return header
            }
            #expect(added == "lua")

            // 3. A later EnvoyFilter with a higher priority takes the Lua filter out again.
            try meshd.writeConfig("remove.yaml", Self.remove)
            _ = try await Poll.until("the Lua filter removed", timeout: .seconds(20)) { () -> Bool? in
                guard let header = try await Self.header(from: client) else { return nil }
                return header == nil ? true : nil
            }

            // 4. A bad patch (a misspelt Cluster field) is refused with its path; what was in force stays.
            try meshd.writeConfig(
                "bad.yaml",
                """
                apiVersion: networking.istio.io/v1alpha3
                kind: EnvoyFilter
                metadata: {name: typo, namespace: default}
                spec:
                  configPatches:
                  - applyTo: CLUSTER
                    patch:
                      operation: MERGE
                      value: {conect_timeout: 1s}
                """)
            let problems = try await Poll.until("the bad patch reported", timeout: .seconds(10)) {
                () -> [ConfigStatus.Problem]? in
                let errors = try meshd.configz().errors.filter { $0.object == "EnvoyFilter/default/typo" }
                return errors.isEmpty ? nil : errors
            }
            #expect(problems.first?.field == "spec.configPatches[0].patch.value.conect_timeout", "\(problems)")
            #expect(problems.first?.file?.hasSuffix("bad.yaml") == true)
            let stillRemoved = try #require(try await Self.header(from: client))
            #expect(stillRemoved == nil, "the REMOVE stays in force")
            #expect(
                try Self.dumpedCluster(clientSidecar, name: Self.cluster)?["connect_timeout"] as? String == "3.500s")

            for sidecar in [clientSidecar, serverSidecar] {
                #expect(try sidecar.counter("listener_manager.lds.update_rejected") == 0)
                #expect(try sidecar.counter("cluster_manager.cds.update_rejected") == 0)
            }

            // 5. A patch meshd accepts and Envoy refuses (Lua that does not compile): the server's NACK is explained
            // by the EnvoyFilter, with its file and line; taking the file away restores the last good listeners.
            try meshd.writeConfig("broken-lua.yaml", Self.brokenLua)
            let sources = try await Poll.until("the NACK explained by the EnvoyFilter", timeout: .seconds(20)) {
                () -> [String]? in
                let response = try meshd.admin("/debug/nacks")
                let nacks = try response.json() as? [[String: Any]] ?? []
                let serverNack = nacks.first {
                    ($0["proxy"] as? String) == server.nodeID && ($0["type"] as? String) == "lds"
                }
                let sources = (serverNack?["sources"] as? [[String: Any]] ?? []).compactMap { source -> String? in
                    guard let object = source["object"] as? String, let file = source["source"] as? String else {
                        return nil
                    }
                    return "\(object) \(file)"
                }
                return sources.isEmpty ? nil : sources
            }
            #expect(
                sources.contains {
                    $0.hasPrefix("EnvoyFilter/default/broken-lua ") && $0.contains("broken-lua.yaml:1")
                },
                "\(sources)")
            try FileManager.default.removeItem(atPath: meshd.configPath("broken-lua.yaml"))
            _ = try await Poll.until("the server ACKs again", timeout: .seconds(20)) { () -> Bool? in
                let row = try meshd.syncz().first { $0.proxy == server.nodeID }?.types["lds"]
                guard let row, let sent = row.sentVersion else { return nil }
                return row.ackedVersion == sent ? true : nil
            }
        }
    }

    /// An EnvoyFilter that serves a Lua filter's config over ECDS (EXTENSION_CONFIG ADD) and puts a filter that
    /// fetches it (`config_discovery`) before the server's router; the Lua answers with `x-ecds: <version>`.
    static func ecdsFilter(version: String) -> String {
        """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: ecds-lua, namespace: default}
        spec:
          workloadSelector: {labels: {app: filtered}}
          configPatches:
          - applyTo: EXTENSION_CONFIG
            patch:
              operation: ADD
              value:
                name: meshd-ecds-lua
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
                  default_source_code:
                    inline_string: 'function envoy_on_response(handle) handle:headers():add("x-ecds", "\(version)") end'
        \(beforeServerRouter(value: """
              name: meshd-ecds-lua
              config_discovery:
                config_source: {ads: {}}
                type_urls: [type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua]
            """))
        """
    }

    @Test("EXTENSION_CONFIG over ECDS: a filter fetches its config by name, and a new config reaches it alone")
    func extensionConfigDiscovery() async throws {
        try await MeshNetwork.with(label: "ecds") { network in
            let client = try network.addPod(name: "caller", labels: ["app": "caller"], serviceAccount: "caller")
            let server = try network.addPod(name: "filtered", labels: ["app": "filtered"], serviceAccount: "filtered")
            let meshd = try await MeshdProcess.start(
                in: network,
                configFiles: [
                    "mesh.yaml": Self.config(client: client, server: server), "ecds.yaml": Self.ecdsFilter(version: "v1"),
                ])
            try await server.startEchoServer(service: "filtered", port: Self.port)
            let clientSidecar = try client.startSidecar(bootstrapJSON: meshd.bootstrap(for: client))
            let serverSidecar = try server.startSidecar(bootstrapJSON: meshd.bootstrap(for: server))
            for sidecar in [clientSidecar, serverSidecar] { try await sidecar.waitUntilReady() }

            func ecdsHeader() async throws -> String?? {
                let traffic = try await client.exchange(
                    "http://\(Self.clusterIP):\(Self.port)/", host: Self.host, count: 1, capture: 1, maxSeconds: 5,
                    perRequestTimeout: 2)
                guard let response = traffic.responses.first, response.status == 200 else { return nil }
                return .some(response.header("x-ecds"))
            }
            // 1. The server's listener names the filter; its config comes over ECDS and runs.
            let first = try await Poll.until("the ECDS Lua header", timeout: .seconds(20)) { () -> String? in
                guard let header = try await ecdsHeader() else { return nil }
                return header
            }
            #expect(first == "v1")
            let listenerVersion = try #require(
                try meshd.syncz().first { $0.proxy == server.nodeID }?.types["lds"]?.ackedVersion)

            // 2. A new config of the same name reaches the running filter over ECDS; the listener is not re-sent.
            try meshd.writeConfig("ecds.yaml", Self.ecdsFilter(version: "v2"))
            _ = try await Poll.until("the new ECDS config in force", timeout: .seconds(20)) { () -> Bool? in
                guard let header = try await ecdsHeader() else { return nil }
                return header == "v2" ? true : nil
            }
            let row = try #require(try meshd.syncz().first { $0.proxy == server.nodeID })
            #expect(row.types["lds"]?.ackedVersion == listenerVersion, "LDS unchanged: \(row.types)")
            let ecds = try #require(row.types["ecds"], "\(row.types)")
            #expect(ecds.ackedVersion != nil && ecds.ackedVersion == ecds.sentVersion, "\(ecds)")
            #expect(try serverSidecar.counter("extension_config_discovery.http_filter.meshd-ecds-lua.config_reload") >= 2)
            #expect(try serverSidecar.counter("listener_manager.lds.update_rejected") == 0)
        }
    }

    /// Lua that does not compile, under a name other than envoy.filters.http.lua (which lua-removed takes out).
    static let brokenLua = luaFilter(
        "broken-lua", filterName: "broken.lua", code: "function envoy_on_response(handle) this is not lua end")
}
