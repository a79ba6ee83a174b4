import Foundation
import Logging
import MeshModel
import Registry
import Testing

/// Istio's mesh config: the fields meshd reads, a warning with its path for every other field, errors that name the
/// field, the last-good rule in the store, the version, and the live reload of `meshd serve --mesh-config`.
@Suite("Mesh config")
struct MeshConfigTests {
    static let full = """
        rootNamespace: mesh-root
        trustDomain: example.org
        trustDomainAliases: [old.example.org, cluster.local]
        outboundTrafficPolicy:
          mode: REGISTRY_ONLY
        enableAutoMtls: false
        defaultConfig:
          tracing: {sampling: 10}
        accessLogFile: /dev/stdout
        extensionProviders:
        - name: ext-http
          envoyExtAuthzHttp:
            service: ext-authz.auth.svc.cluster.local
            port: 8000
            timeout: 2s
            pathPrefix: /check
            failOpen: true
            clearRouteCache: true
            statusOnError: "503"
            includeRequestHeadersInCheck: [x-ext-authz]
            includeAdditionalHeadersInCheck: {x-added: "yes"}
            headersToUpstreamOnAllow: [x-user]
            headersToDownstreamOnDeny: [x-reason]
            headersToDownstreamOnAllow: [x-trace]
            includeRequestBodyInCheck: {maxRequestBytes: 1024, allowPartialMessage: true, packAsBytes: true}
        - name: ext-grpc
          envoyExtAuthzGrpc:
            service: auth/ext-authz-grpc.auth.svc.cluster.local
            port: 9000
            timeout: 500ms
            failOpen: false
            statusOnError: "403"
            includeRequestBodyInCheck: {maxRequestBytes: 10}
        - name: tracer
          zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}
        """

    @Test func decodesTheFieldsMeshdReads() throws {
        let result = MeshConfigDecoder.decode(yaml: Self.full, file: "mesh.yaml")
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
        let config = try #require(result.config)
        #expect(config.rootNamespace == "mesh-root")
        #expect(config.trustDomain == "example.org")
        #expect(config.trustDomainAliases == ["old.example.org", "cluster.local"])
        #expect(config.outboundTrafficPolicy == .registryOnly)
        #expect(!config.enableAutoMtls)
        #expect(config.extensionProviders.map(\.name) == ["ext-http", "ext-grpc"])
        guard case .envoyExtAuthzHTTP(let http)? = config.extensionProvider(named: "ext-http")?.kind else {
            Issue.record("no HTTP provider")
            return
        }
        #expect(http.service == "ext-authz.auth.svc.cluster.local" && http.port == 8000)
        #expect(http.timeoutSeconds == 2 && http.pathPrefix == "/check" && http.failOpen && http.clearRouteCache)
        #expect(http.statusOnError == 503)
        #expect(http.includeRequestHeadersInCheck == ["x-ext-authz"])
        #expect(http.includeAdditionalHeadersInCheck == ["x-added": "yes"])
        #expect(http.headersToUpstreamOnAllow == ["x-user"] && http.headersToDownstreamOnDeny == ["x-reason"])
        #expect(http.headersToDownstreamOnAllow == ["x-trace"])
        #expect(http.includeRequestBodyInCheck == ExtAuthzRequestBody(maxRequestBytes: 1024, allowPartialMessage: true, packAsBytes: true))
        guard case .envoyExtAuthzGRPC(let grpc)? = config.extensionProvider(named: "ext-grpc")?.kind else {
            Issue.record("no gRPC provider")
            return
        }
        #expect(grpc.service == "auth/ext-authz-grpc.auth.svc.cluster.local" && grpc.port == 9000)
        #expect(grpc.timeoutSeconds == 0.5 && !grpc.failOpen && grpc.statusOnError == 403)
        #expect(grpc.includeRequestBodyInCheck?.maxRequestBytes == 10)
    }

    @Test func otherFieldsWarnWithTheirPath() {
        let result = MeshConfigDecoder.decode(yaml: Self.full, file: "mesh.yaml")
        let paths = Set(result.warnings.map(\.fieldPath))
        #expect(paths.contains("defaultConfig.tracing"))
        #expect(!paths.contains("defaultConfig"))
        #expect(paths.contains("accessLogFile"))
        #expect(paths.contains("extensionProviders[2].zipkin"))
        #expect(result.warnings.first { $0.fieldPath == "accessLogFile" }?.line == 9)
        #expect(result.warnings.allSatisfy { $0.reason.contains("ignored") })
    }

    @Test func emptyTextIsIstiodsDefaults() {
        #expect(MeshConfigDecoder.decode(yaml: "", file: "mesh.yaml").config == .default)
        #expect(MeshConfigDecoder.decode(yaml: "# nothing\n", file: "mesh.yaml").config == .default)
    }

    static let refusals: [(yaml: String, path: String, reason: String)] = [
        ("rootNamespace: Not_A_Namespace", "rootNamespace", "not a valid namespace name"),
        ("trustDomain: \"a/b\"", "trustDomain", "may only hold"),
        ("trustDomainAliases: [\"\"]", "trustDomainAliases[0]", "must not be empty"),
        ("outboundTrafficPolicy: {mode: SOMETIMES}", "outboundTrafficPolicy.mode", "expected ALLOW_ANY or REGISTRY_ONLY"),
        ("enableAutoMtls: maybe", "enableAutoMtls", "expected true or false"),
        ("extensionProviders: [{envoyExtAuthzHttp: {service: a, port: 1}}]", "extensionProviders[0].name", "must not be empty"),
        ("extensionProviders: [{name: a}]", "extensionProviders[0]", "must set one provider kind"),
        ("extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a, port: 1}, envoyExtAuthzGrpc: {service: a, port: 1}}]", "extensionProviders[0]", "expected one"),
        ("extensionProviders: [{name: a, envoyExtAuthzHttp: {port: 80}}]", "extensionProviders[0].envoyExtAuthzHttp.service", "must not be empty"),
        ("extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a}}]", "extensionProviders[0].envoyExtAuthzHttp.port", "required"),
        ("extensionProviders: [{name: a, envoyExtAuthzGrpc: {service: a, port: 70000}}]", "extensionProviders[0].envoyExtAuthzGrpc.port", "out of range"),
        ("extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a, port: 80, pathPrefix: check}}]", "extensionProviders[0].envoyExtAuthzHttp.pathPrefix", "must begin with `/`"),
        ("extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a, port: 80, statusOnError: nope}}]", "extensionProviders[0].envoyExtAuthzHttp.statusOnError", "HTTP status code"),
        ("extensionProviders: [{name: a, envoyExtAuthzGrpc: {service: a, port: 80, timeout: forever}}]", "extensionProviders[0].envoyExtAuthzGrpc.timeout", "invalid duration"),
        ("extensionProviders: [{name: a, envoyExtAuthzHttp: {service: \"a b\", port: 80}}]", "extensionProviders[0].envoyExtAuthzHttp.service", "not a hostname"),
        ("extensionProviders: [{name: a, envoyExtAuthzGrpc: {service: a, port: 1}}, {name: a, envoyExtAuthzGrpc: {service: b, port: 2}}]", "extensionProviders[1].name", "duplicate extension provider name"),
        ("rootNamespace: [a]", "rootNamespace", "expected a string"),
        ("[not, a, mapping]", "", "expected a mapping"),
        ("rootNamespace: {", "", "does not parse"),
    ]

    @Test(arguments: refusals.indices)
    func invalidValuesAreErrorsNamingTheField(_ index: Int) {
        let refusal = Self.refusals[index]
        let result = MeshConfigDecoder.decode(yaml: refusal.yaml, file: "mesh.yaml")
        #expect(result.config == nil, "accepted: \(refusal.yaml)")
        #expect(
            result.errors.contains { $0.fieldPath == refusal.path && $0.reason.contains(refusal.reason) },
            "\(refusal.yaml): \(result.errors.map(\.description))")
    }

    @Test func storeKeepsTheLastGoodMeshConfigAndVersionsFollowIt() {
        let store = ConfigStore()
        store.load("a.yaml", serviceYAML("web"))
        let plain = store.snapshot().version
        #expect(store.snapshot().meshConfig == .default)

        #expect(store.apply(meshConfig: MeshConfigDecoder.decode(yaml: "rootNamespace: mesh-root", file: "m")))
        let rooted = store.snapshot().version
        #expect(rooted != plain)
        #expect(store.snapshot().meshConfig.rootNamespace == "mesh-root")

        #expect(!store.apply(meshConfig: MeshConfigDecoder.decode(yaml: "rootNamespace: BAD_", file: "m")))
        #expect(store.snapshot().meshConfig.rootNamespace == "mesh-root")
        #expect(store.snapshot().version == rooted)
        #expect(store.diagnostics().contains { $0.isError && $0.fieldPath == "rootNamespace" && $0.file == "m" })

        // Back to defaults: the version is the plain one again (defaults add nothing to it).
        #expect(store.apply(meshConfig: MeshConfigDecoder.decode(yaml: "", file: "m")))
        #expect(store.snapshot().version == plain)
        #expect(!store.diagnostics().contains { $0.isError })
    }

    @Test func outboundFlagOverridesTheMeshConfig() {
        let overridden = ConfigStore(outboundTrafficPolicyOverride: .allowAny)
        overridden.apply(meshConfig: MeshConfigDecoder.decode(yaml: "outboundTrafficPolicy: {mode: REGISTRY_ONLY}", file: "m"))
        #expect(overridden.meshConfig().outboundTrafficPolicy == .allowAny)
        let plain = ConfigStore()
        #expect(plain.meshConfig().outboundTrafficPolicy == nil)
        plain.apply(meshConfig: MeshConfigDecoder.decode(yaml: "outboundTrafficPolicy: {mode: REGISTRY_ONLY}", file: "m"))
        #expect(plain.meshConfig().outboundTrafficPolicy == .registryOnly)
    }

    @Test func rootNamespaceDrivesMeshWideLookups() {
        let store = ConfigStore()
        store.load(
            "a.yaml",
            """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: mesh-root}
            spec: {mtls: {mode: STRICT}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: all, namespace: mesh-root}
            spec: {host: "*.svc.cluster.local"}
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: deny-all, namespace: mesh-root}
            spec: {}
            """)
        #expect(store.snapshot().effectiveMutualTLS(namespace: "shop", labels: [:]).mode == .permissive)
        #expect(store.snapshot().destinationRule(for: "web.shop.svc.cluster.local", clientNamespace: "shop") == nil)
        #expect(store.snapshot().authorizationPolicies(namespace: "shop", labels: [:]).isEmpty)
        store.apply(meshConfig: MeshConfigDecoder.decode(yaml: "rootNamespace: mesh-root", file: "m"))
        let snapshot = store.snapshot()
        #expect(snapshot.effectiveMutualTLS(namespace: "shop", labels: [:]).mode == .strict)
        #expect(snapshot.destinationRule(for: "web.shop.svc.cluster.local", clientNamespace: "shop")?.meta.name == "all")
        #expect(snapshot.authorizationPolicies(namespace: "shop", labels: [:]).map(\.meta.name) == ["deny-all"])
    }

    /// `meshd serve --mesh-config`: the file is read at start (a bad one refuses to start) and watched; a bad edit
    /// keeps the last good config, a good one is applied with a new version.
    @Test func meshConfigFileIsReloadedLive() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshd-mesh-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("mesh.yaml").path
        try "outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let store = ConfigStore(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let source = MeshConfigFileSource(
            path: path, store: store, pollInterval: .milliseconds(20),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try source.loadOnce()
        #expect(store.meshConfig().outboundTrafficPolicy == .registryOnly)
        let first = store.snapshot().version

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await source.run() }
            defer { group.cancelAll() }
            try "outboundTrafficPolicy: {mode: NEVER}\n".write(toFile: path, atomically: true, encoding: .utf8)
            try await waitFor { store.diagnostics().contains { $0.isError && $0.fieldPath == "outboundTrafficPolicy.mode" } }
            #expect(store.meshConfig().outboundTrafficPolicy == .registryOnly)
            #expect(store.snapshot().version == first)
            try "outboundTrafficPolicy: {mode: ALLOW_ANY}\nrootNamespace: mesh-root\n".write(toFile: path, atomically: true, encoding: .utf8)
            try await waitFor { store.meshConfig().rootNamespace == "mesh-root" }
            #expect(store.meshConfig().outboundTrafficPolicy == .allowAny)
            #expect(store.snapshot().version != first)
        }

        try "rootNamespace: \"\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let refused = MeshConfigFileSource(path: path, store: ConfigStore(), logger: Logger(label: "t"))
        #expect(throws: MeshConfigFileSource.LoadError.self) { try refused.loadOnce() }
    }

    func waitFor(_ condition: () -> Bool) async throws {
        for _ in 0..<250 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("condition not met within 5 s")
    }
}
