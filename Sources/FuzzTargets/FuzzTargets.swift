import AdminServer
import Discovery
import EnvoyAPI
import Foundation
import Hummingbird
import Logging
import MeshModel
import NIOEmbedded
import Prometheus
import Registry
import SwiftProtobuf
import XDSServer
import XDSTranslator

/// The entry points of meshd's fuzz targets, one per surface that takes external input. `Fuzz/` builds each as
/// a libFuzzer executable (`Scripts/fuzz`); `FuzzRegressionTests` runs every saved input through the same
/// function in the normal suite. Each target must return for any input: a trap, a crash or a broken invariant
/// (which each target checks and reports with `violated`) is a finding.
public enum FuzzTargets {
    /// The targets by name, as `Scripts/fuzz` and the regression inputs' folders name them.
    public static let names = ["yaml", "translate", "ads", "admin"]

    /// Runs the named target on one input.
    public static func run(_ name: String, _ bytes: [UInt8]) async {
        switch name {
        case "yaml": yaml(bytes)
        case "translate": translate(bytes)
        case "ads": ads(bytes)
        case "admin": await admin(bytes)
        default: violated("unknown fuzz target \(name)")
        }
    }

    /// A broken invariant: stop the process, so libFuzzer saves the input and the regression test fails.
    static func violated(_ message: String) -> Never {
        fatalError("fuzz invariant: \(message)")
    }

    // MARK: - YAML decode and validation

    /// Decodes the input as a config file, as `meshd validate` and the file source do, into a store.
    public static func yaml(_ bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        let result = ConfigDecoder.decode(yaml: text, file: "fuzz.yaml")
        let store = ConfigStore(logger: quiet)
        store.apply(file: "fuzz.yaml", result: result)
        for diagnostic in store.diagnostics() { _ = diagnostic.description }
        if !result.errors.isEmpty, result.objects.contains(where: { result.refusedKeys.contains($0.key) }) {
            violated("an object named by an error was accepted")
        }
    }

    // MARK: - Translation

    /// Translates what the input's accepted objects make, for a sidecar and a router, into every type, and
    /// serialises every resource as meshd would send it.
    public static func translate(_ bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        let result = ConfigDecoder.decode(yaml: text, file: "fuzz.yaml")
        guard !result.objects.isEmpty else { return }
        let snapshot = MeshSnapshot.build(from: result.objects)
        let translator = XDSTranslator()
        for proxy in proxies {
            for type in XDSType.pushOrder where type != .secret {
                for resource in translator.generate(typeURL: type.rawValue, snapshot: snapshot, proxy: proxy) {
                    do {
                        _ = try XDSResource(name: resource.name, resource: resource.resource)
                    } catch {
                        violated("\(type.shortName) \(resource.name) does not serialise: \(error)")
                    }
                }
            }
        }
    }

    /// A sidecar in `default` with the labels most test configs select, and an ingress gateway.
    static let proxies: [Proxy] = {
        var proxies: [Proxy] = []
        let sidecar = try? Proxy(
            nodeID: "sidecar~10.44.0.10~reviews-v1.default~default.svc.cluster.local",
            metadata: ["NAMESPACE": "default", "SERVICE_ACCOUNT": "reviews"], labels: ["app": "reviews", "version": "v1"])
        let router = try? Proxy(
            nodeID: "router~10.44.0.20~istio-ingressgateway.istio-system~istio-system.svc.cluster.local",
            metadata: ["NAMESPACE": "istio-system"], labels: ["istio": "ingressgateway", "app": "istio-ingressgateway"])
        if let sidecar { proxies.append(sidecar) }
        if let router { proxies.append(router) }
        return proxies
    }()

    // MARK: - ADS requests

    /// The input is a sequence of length-prefixed (one byte) protobuf messages; the first byte's low bit picks
    /// SotW or Delta. Each message is decoded as a request and given to a stream's state machine, which
    /// answers from a fixed resource set.
    public static func ads(_ bytes: [UInt8]) {
        guard let mode = bytes.first else { return }
        var offset = 1
        var sotw = SotWStream()
        var delta = DeltaStream()
        var count = 0
        while offset < bytes.count, count < 64 {
            let length = Int(bytes[offset])
            offset += 1
            let end = min(bytes.count, offset + length)
            let message = Data(bytes[offset..<end])
            offset = end
            count += 1
            if mode & 1 == 0 {
                guard let request = try? Envoy_Service_Discovery_V3_DiscoveryRequest(serializedBytes: message) else { continue }
                if request.hasNode { _ = try? Proxy(nodeID: request.node.id, metadata: [:], labels: [:]) }
                if case .respond(let type) = sotw.received(request) {
                    let (resources, version) = sotw.response(from: fixedSet, for: type)
                    sotw.sent(type, version: version, nonce: "n\(count)", resources: resources)
                }
            } else {
                guard let request = try? Envoy_Service_Discovery_V3_DeltaDiscoveryRequest(serializedBytes: message) else { continue }
                _ = delta.received(request)
            }
        }
    }

    static let fixedSet: ResourceSet = {
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = "outbound|9080||reviews.default.svc.cluster.local"
        let resources = [try? XDSResource(name: cluster.name, resource: Google_Protobuf_Any(message: cluster))].compactMap { $0 }
        return ResourceSet(generation: 1, resources: resources)
    }()

    // MARK: - Admin HTTP routes

    static let adminToken = "fuzz-admin-token"

    /// The input is `METHOD PATH` on its first line and an optional body after it. Sent without the token, every
    /// route but the public probes must answer 401; the public ones must not.
    public static func admin(_ bytes: [UInt8]) async {
        let text = String(decoding: bytes.prefix(4096), as: UTF8.self)
        let firstLine = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let requestLine = firstLine.first.map(String.init) ?? ""
        let body = firstLine.count > 1 ? String(firstLine[1]) : ""
        let parts = requestLine.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[1].hasPrefix("/"), !parts[1].contains(where: { $0.isNewline || $0 == " " }) else { return }
        let method: HTTPRequest.Method = parts[0] == "POST" ? .post : .get
        let path = String(parts[1])
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1", path: path),
            body: RequestBody(buffer: ByteBuffer(string: body)))
        let channel = EmbeddedChannel()
        let context = BasicRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: quiet))
        let status: HTTPResponse.Status
        do {
            status = try await adminResponder.respond(to: request, context: context).status
        } catch let error as HTTPResponseError {
            status = error.status
        } catch {
            status = .internalServerError
        }
        let pathOnly = String(path.prefix { $0 != "?" && $0 != "#" })
        let isProbe = pathOnly.split(separator: "/").count == 1
            && ["ready", "healthz", "version", "metrics"].contains(pathOnly.split(separator: "/").first ?? "")
            && !pathOnly.contains("%") && !pathOnly.contains("\\")
        if !isProbe, status != .unauthorized {
            violated("\(method) \(path) answered \(status.code) without the admin token")
        }
    }

    static let adminResponder: some HTTPResponder<BasicRequestContext> = {
        let store = ConfigStore(logger: quiet)
        let provider = MeshResourceProvider(snapshot: store.snapshot())
        let tracker = ChangeTracker()
        let ads = ADSServer(provider: provider, observer: XDSEventFanOut([provider.connected, tracker]), logger: quiet)
        let readiness = Readiness()
        let context = AdminContext(
            store: store, provider: provider, ads: ads, readiness: readiness, tracker: tracker,
            metrics: PrometheusCollectorRegistry())
        // A loopback server with a token: the same router `meshd serve --admin-token` runs.
        guard let server = try? AdminServer(host: "127.0.0.1", port: 1, context: context, token: adminToken, logger: quiet) else {
            violated("the admin server refused a loopback address with a token")
        }
        return server.makeRouter().buildResponder()
    }()

    static let quiet = Logger(label: "meshd-fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
}
