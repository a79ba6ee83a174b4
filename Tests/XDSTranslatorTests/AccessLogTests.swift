import EnvoyAPI
import MeshModel
import SwiftProtobuf
import Testing
import XDSTranslator

/// Access logs from the mesh config and Telemetry `accessLogging`: which listeners get which loggers, in which
/// format, with which filter, resolved over the mesh, namespace and workload levels as istiod resolves them.
@Suite("Access logs (Telemetry, mesh config)")
struct AccessLogTests {
    typealias Listener = Envoy_Config_Listener_V3_Listener
    typealias HCM = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager
    typealias TcpProxy = Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy
    typealias FileLog = Envoy_Extensions_AccessLoggers_File_V3_FileAccessLog
    typealias Expression = Envoy_Extensions_AccessLoggers_Filters_Cel_V3_ExpressionFilter

    static let mesh = MeshYAML.join(
        MeshYAML.service("web", clusterIP: "10.96.7.1", ports: [("http", 8080, nil)]),
        MeshYAML.service("db", clusterIP: "10.96.7.2", ports: [("tcp", 5432, nil)]),
        MeshYAML.pod("web-1", ip: "10.1.7.1", labels: ["app": "web"]))

    static func telemetry(_ name: String, namespace: String, selector: String? = nil, logging: String) -> String {
        """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata:
          name: \(name)
          namespace: \(namespace)
        spec:
        \(selector.map { "  selector:\n    matchLabels: {\($0)}" } ?? "")
          accessLogging:
        \(logging)
        """
    }

    /// The loggers on each listener of the proxy at 10.1.7.1 (the web pod), by listener name; one list per
    /// listener, checked to be the same on every HCM and tcp_proxy filter of it.
    func loggers(
        _ yaml: String, mesh meshText: String = "", ip: String = "10.1.7.1", pod: String = "web-1"
    ) throws -> [String: [Envoy_Config_Accesslog_V3_AccessLog]] {
        let decoded = ConfigDecoder.decode(yaml: MeshYAML.join(Self.mesh, yaml), file: "mesh.yaml")
        #expect(decoded.errors.isEmpty, "\(decoded.errors.map(\.description))")
        let meshConfig = MeshConfigDecoder.decode(yaml: meshText, file: "mesh-config.yaml")
        #expect(meshConfig.errors.isEmpty, "\(meshConfig.errors.map(\.description))")
        var snapshot = MeshSnapshot.build(from: decoded.objects)
        snapshot.apply(meshConfig: try #require(meshConfig.config))
        let proxy = try Proxy(nodeID: sidecarID(ip: ip, pod: pod), metadata: [:], labels: [:])
        var result: [String: [Envoy_Config_Accesslog_V3_AccessLog]] = [:]
        for message in XDSTranslator().generateMessages(typeURL: TypeURL.listener, snapshot: snapshot, proxy: proxy) {
            let listener = try #require(message.message as? Listener)
            var perFilter: [[Envoy_Config_Accesslog_V3_AccessLog]] = []
            for filter in listener.filterChains.flatMap({ $0.filters }) + listener.defaultFilterChain.filters {
                switch filter.name {
                case "envoy.filters.network.http_connection_manager":
                    perFilter.append(try HCM(unpackingAny: filter.typedConfig).accessLog)
                case "envoy.filters.network.tcp_proxy":
                    perFilter.append(try TcpProxy(unpackingAny: filter.typedConfig).accessLog)
                default: continue
                }
            }
            let first = perFilter.first ?? []
            #expect(perFilter.allSatisfy { $0 == first }, "filters of \(listener.name) differ")
            result[listener.name] = first
        }
        return result
    }

    func file(_ logger: Envoy_Config_Accesslog_V3_AccessLog) throws -> FileLog {
        #expect(logger.name == "envoy.access_loggers.file")
        return try FileLog(unpackingAny: logger.typedConfig)
    }

    @Test("without a mesh config or Telemetry no listener logs")
    func nothingByDefault() throws {
        let all = try loggers("")
        #expect(!all.isEmpty)
        #expect(all.values.allSatisfy { $0.isEmpty })
    }

    @Test("accessLogFile puts Istio's default text format on every HCM and tcp_proxy, inbound and outbound")
    func meshAccessLogFile() throws {
        let all = try loggers("", mesh: "accessLogFile: /dev/stdout")
        for name in ["virtualInbound", "virtualOutbound", "0.0.0.0_8080", "10.96.7.2_5432"] {
            let list = try #require(all[name], "no listener \(name)")
            #expect(list.count == 1, "\(name)")
            let log = try file(try #require(list.first))
            #expect(log.path == "/dev/stdout")
            let text = log.logFormat.textFormatSource.inlineString
            #expect(text.hasPrefix("[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\""))
            #expect(text.hasSuffix("%REQUESTED_SERVER_NAME% %ROUTE_NAME%\n"))
            #expect(!list[0].hasFilter)
        }
    }

    @Test("accessLogEncoding JSON with an accessLogFormat object gives a JSON format of those fields")
    func meshJSONFormat() throws {
        let mesh = """
            accessLogFile: /var/log/access.json
            accessLogEncoding: JSON
            accessLogFormat: '{"trace": "%REQ(X-B3-TRACEID)%", "code": "%RESPONSE_CODE%"}'
            """
        let all = try loggers("", mesh: mesh)
        let log = try file(try #require(all["0.0.0.0_8080"]?.first))
        #expect(log.path == "/var/log/access.json")
        let fields = log.logFormat.jsonFormat.fields
        #expect(fields.keys.sorted() == ["code", "trace"])
        #expect(fields["trace"]?.stringValue == "%REQ(X-B3-TRACEID)%")
        let defaults = try loggers("", mesh: "accessLogFile: /dev/stdout\naccessLogEncoding: JSON")
        let fallback = try file(try #require(defaults["0.0.0.0_8080"]?.first)).logFormat.jsonFormat.fields
        #expect(fallback["response_code"]?.stringValue == "%RESPONSE_CODE%")
        #expect(fallback["upstream_cluster"]?.stringValue == "%UPSTREAM_CLUSTER_RAW%")
    }

    @Test("a namespace Telemetry with disabled: true turns the mesh-wide file log off in that namespace only")
    func namespaceDisables() throws {
        let off = Self.telemetry("no-log", namespace: "default", logging: "  - disabled: true")
        let all = try loggers(off, mesh: "accessLogFile: /dev/stdout")
        #expect(all.values.allSatisfy { $0.isEmpty })
        let elsewhere = Self.telemetry("no-log", namespace: "other", logging: "  - disabled: true")
        #expect(try loggers(elsewhere, mesh: "accessLogFile: /dev/stdout")["virtualInbound"]?.count == 1)
    }

    @Test("match.mode SERVER logs on virtualInbound only, CLIENT on the outbound listeners only")
    func modes() throws {
        let providers = """
            extensionProviders:
            - name: file
              envoyFileAccessLog: {path: /tmp/access.log, logFormat: {text: "%RESPONSE_CODE% %REQ(:PATH)%"}}
            """
        let server = Self.telemetry(
            "mesh", namespace: "istio-system",
            logging: "  - providers: [{name: file}]\n    match: {mode: SERVER}")
        let serverSide = try loggers(server, mesh: providers)
        #expect(serverSide["virtualInbound"]?.count == 1)
        #expect(serverSide["0.0.0.0_8080"]?.isEmpty == true)
        let log = try file(try #require(serverSide["virtualInbound"]?.first))
        #expect(log.path == "/tmp/access.log")
        #expect(log.logFormat.textFormatSource.inlineString == "%RESPONSE_CODE% %REQ(:PATH)%\n")
        let client = Self.telemetry(
            "mesh", namespace: "istio-system",
            logging: "  - providers: [{name: file}]\n    match: {mode: CLIENT}")
        let clientSide = try loggers(client, mesh: providers)
        #expect(clientSide["virtualInbound"]?.isEmpty == true)
        #expect(clientSide["0.0.0.0_8080"]?.count == 1)
        #expect(clientSide["10.96.7.2_5432"]?.count == 1)
    }

    @Test("a filter expression becomes Envoy's CEL access log filter; a workload Telemetry overrides the namespace's")
    func filterAndWorkloadOverride() throws {
        let filtered = Self.telemetry(
            "errors", namespace: "default", logging: "  - filter: {expression: \"response.code >= 400\"}")
        let all = try loggers(filtered, mesh: "accessLogFile: /dev/stdout")
        let logger = try #require(all["0.0.0.0_8080"]?.first)
        #expect(logger.filter.extensionFilter.name == "envoy.access_loggers.extension_filters.cel")
        let expression = try Expression(unpackingAny: logger.filter.extensionFilter.typedConfig)
        #expect(expression.expression == "response.code >= 400")

        let workloadOff = Self.telemetry(
            "web-quiet", namespace: "default", selector: "app: web", logging: "  - disabled: true")
        let both = try loggers(
            MeshYAML.join(filtered, workloadOff), mesh: "accessLogFile: /dev/stdout")
        #expect(both.values.allSatisfy { $0.isEmpty }, "the web workload's own Telemetry turns its logs off")
        let client = try loggers(
            MeshYAML.join(filtered, workloadOff), mesh: "accessLogFile: /dev/stdout", ip: "10.1.7.9", pod: "client")
        #expect(client["0.0.0.0_8080"]?.first?.hasFilter == true, "another workload keeps the namespace's filter")
    }

    @Test("a provider the mesh config does not define, or of a kind meshd cannot log with, adds no logger")
    func unknownProviders() throws {
        let mesh = """
            extensionProviders:
            - name: otel
              envoyOtelAls: {service: otel.observability.svc.cluster.local, port: 4317}
            """
        let telemetry = Self.telemetry(
            "mesh", namespace: "istio-system", logging: "  - providers: [{name: otel}, {name: missing}]")
        #expect(try loggers(telemetry, mesh: mesh).values.allSatisfy { $0.isEmpty })
        let builtIn = Self.telemetry("mesh", namespace: "istio-system", logging: "  - providers: [{name: envoy}]")
        let log = try file(try #require(try loggers(builtIn)["virtualInbound"]?.first))
        #expect(log.path == "/dev/stdout", "the built-in envoy provider logs to stdout")
    }

    static let twoFiles = """
        extensionProviders:
        - name: a
          envoyFileAccessLog: {path: /tmp/a.log}
        - name: b
          envoyFileAccessLog: {path: /tmp/b.log}
        """

    @Test("the merge of levels: the most specific level naming providers decides which are in scope, with its filter")
    func mergeScope() throws {
        let root = Self.telemetry("mesh", namespace: "istio-system", logging: "  - providers: [{name: a}, {name: b}]")
        #expect(try loggers(root, mesh: Self.twoFiles)["0.0.0.0_8080"]?.count == 2)
        let namespace = Self.telemetry(
            "ns", namespace: "default", logging: "  - providers: [{name: b}]\n    filter: {expression: \"x == 1\"}")
        let merged = try #require(try loggers(MeshYAML.join(root, namespace), mesh: Self.twoFiles)["0.0.0.0_8080"])
        #expect(try merged.map { try file($0).path } == ["/tmp/b.log"])
        #expect(try Expression(unpackingAny: merged[0].filter.extensionFilter.typedConfig).expression == "x == 1")
    }

    @Test("the merge of levels: an entry without providers acts on the providers of the entry before it")
    func mergeInheritance() throws {
        let root = Self.telemetry("mesh", namespace: "istio-system", logging: "  - providers: [{name: a}, {name: b}]")
        let off = Self.telemetry("ns", namespace: "default", logging: "  - disabled: true\n    match: {mode: SERVER}")
        let all = try loggers(MeshYAML.join(root, off), mesh: Self.twoFiles)
        #expect(all["virtualInbound"]?.isEmpty == true, "both inherited providers are off on the server side")
        #expect(all["0.0.0.0_8080"]?.count == 2, "the client side keeps them")
        let defaults = try loggers("", mesh: Self.twoFiles + "\ndefaultProviders: {accessLogging: [b]}")
        #expect(try defaults["virtualInbound"].map { try $0.map { try file($0).path } } == ["/tmp/b.log"])
    }

    static let collectors = MeshYAML.service(
        "otel", namespace: "istio-system", clusterIP: "10.96.7.9", ports: [("grpc-otlp", 4317, nil)])

    @Test("gRPC access log services: HTTP and TCP ALS and OpenTelemetry logs, as istiod builds them")
    func accessLogServices() throws {
        let meshText = """
            defaultProviders: {accessLogging: [als, tcp-als, otel-logs]}
            extensionProviders:
            - name: als
              envoyHttpAls:
                service: otel.istio-system.svc.cluster.local
                port: 4317
                additionalRequestHeadersToLog: [x-user]
            - name: tcp-als
              envoyTcpAls: {service: istio-system/otel, port: 4317, logName: conns, filterStateObjectsToLog: [peer]}
            - name: otel-logs
              envoyOtelAls:
                service: otel.istio-system.svc.cluster.local
                port: 4317
                logFormat: {labels: {path: "%REQ(:PATH)%", code: "%RESPONSE_CODE%"}}
            """
        let all = try loggers(Self.collectors, mesh: meshText)
        let inbound = try #require(all["virtualInbound"])
        #expect(
            inbound.map(\.name)
                == ["envoy.access_loggers.http_grpc", "envoy.access_loggers.open_telemetry", "envoy.tcp_grpc_access_log"]
        )
        let cluster = "outbound|4317||otel.istio-system.svc.cluster.local"
        let http = try Envoy_Extensions_AccessLoggers_Grpc_V3_HttpGrpcAccessLogConfig(
            unpackingAny: inbound[0].typedConfig)
        #expect(http.commonConfig.logName == "http_envoy_accesslog")
        #expect(http.commonConfig.grpcService.envoyGrpc.clusterName == cluster)
        #expect(http.commonConfig.grpcService.envoyGrpc.authority == "otel.istio-system.svc.cluster.local")
        #expect(http.commonConfig.transportApiVersion == .v3)
        #expect(http.commonConfig.filterStateObjectsToLog == ["upstream_peer", "downstream_peer"])
        #expect(http.additionalRequestHeadersToLog == ["x-user"])
        let otel = try Envoy_Extensions_AccessLoggers_OpenTelemetry_V3_OpenTelemetryAccessLogConfig(
            unpackingAny: inbound[1].typedConfig)
        #expect(otel.commonConfig.logName == "otel_envoy_accesslog")
        #expect(otel.disableBuiltinLabels)
        #expect(otel.body.stringValue.hasPrefix("[%START_TIME%]"), "Istio's default text format is the body")
        #expect(otel.attributes.values.map(\.key) == ["code", "path"])
        #expect(otel.attributes.values.map(\.value.stringValue) == ["%RESPONSE_CODE%", "%REQ(:PATH)%"])
        let tcp = try Envoy_Extensions_AccessLoggers_Grpc_V3_TcpGrpcAccessLogConfig(unpackingAny: inbound[2].typedConfig)
        #expect(tcp.commonConfig.logName == "conns")
        #expect(tcp.commonConfig.filterStateObjectsToLog == ["peer"])
        #expect(tcp.commonConfig.grpcService.envoyGrpc.clusterName == cluster)
        // The outbound listeners carry the same loggers (CLIENT_AND_SERVER by default), TCP ones included.
        #expect(all["10.96.7.2_5432"]?.map(\.name) == inbound.map(\.name))
    }

    @Test("a log service whose service or port the registry lacks gives no logger (istiod logs an error)")
    func unresolvedLogServiceIsLeftOut() throws {
        let meshText = """
            defaultProviders: {accessLogging: [als, missing]}
            extensionProviders:
            - name: als
              envoyHttpAls: {service: otel.istio-system.svc.cluster.local, port: 9999}
            - name: missing
              envoyOtelAls: {service: nowhere.example.com, port: 4317}
            """
        let all = try loggers(Self.collectors, mesh: meshText)
        let loggerNames = all.mapValues { list in list.map(\.name) }
        let described = String(describing: loggerNames)
        #expect(loggerNames.values.allSatisfy { $0.isEmpty }, "\(described)")
    }
}
