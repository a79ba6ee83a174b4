import EnvoyAPI
import Foundation
public import Logging
import MeshModel
import Registry
import SwiftProtobuf
import XDSServer
import XDSTranslator

/// The entry points of meshd's fuzz targets, one per surface that takes external input: YAML decode and
/// validation, translation, and ADS requests here; the admin routes in `AdminFuzzTarget` (it needs the whole
/// server, so it is built apart). `Fuzz/` builds them into libFuzzer executables (`Scripts/fuzz`);
/// `FuzzRegressionTests` runs every saved input through the same functions in the normal suite. Each target
/// must return for any input: a trap, a crash or a broken invariant (which each target checks and reports with
/// `violated`) is a finding.
public enum FuzzTargets {
    /// The targets of this module by name, as `Scripts/fuzz` and the regression inputs' folders name them.
    public static let names = ["yaml", "translate", "ads"]

    /// Runs the named target on one input.
    public static func run(_ name: String, _ bytes: [UInt8]) {
        switch name {
        case "yaml": yaml(bytes)
        case "translate": translate(bytes)
        case "ads": ads(bytes)
        default: violated("unknown fuzz target \(name)")
        }
    }

    /// A broken invariant: stop the process, so libFuzzer saves the input and the regression test fails.
    public static func violated(_ message: String) -> Never {
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
        // One object per key: a second declaration in the file is refused, never applied over the first. (A key
        // may still be both accepted and named by an error: one document refused, another declaring it valid,
        // as `kubectl apply` would apply the valid one and refuse the other.)
        if Set(result.objects.map(\.key)).count != result.objects.count {
            violated("a file's object was accepted twice")
        }
        if store.objects().count != result.objects.count {
            violated("the store holds \(store.objects().count) objects of a first load of \(result.objects.count)")
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
            metadata: ["NAMESPACE": "default", "SERVICE_ACCOUNT": "reviews"],
            labels: ["app": "reviews", "version": "v1"])
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
                // The server's reader and SwiftProtobuf must agree on every input: both refuse it, or both read
                // the same request with the same names.
                let decoded = try? Envoy_Service_Discovery_V3_DiscoveryRequest(serializedBytes: message)
                let read = try? message.withUnsafeBytes { try SotWRequest(serializedBytes: $0) }
                guard let request = read else {
                    precondition(decoded == nil, "SotWRequest refused what SwiftProtobuf reads")
                    continue
                }
                guard let decoded else { preconditionFailure("SotWRequest read what SwiftProtobuf refuses") }
                var withoutNames = decoded
                withoutNames.resourceNames = []
                precondition(request.message == withoutNames, "SotWRequest read other fields than SwiftProtobuf")
                precondition(request.resourceNames == decoded.resourceNames, "SotWRequest read other names")
                precondition(request.namesDigest == SotWRequest(decoded).namesDigest, "digests differ")
                if request.hasNode { _ = try? Proxy(nodeID: request.node.id, metadata: [:], labels: [:]) }
                if case .respond(let type) = sotw.received(request) {
                    let (resources, version) = sotw.response(from: fixedSet, for: type)
                    sotw.sent(type, version: version, nonce: "n\(count)", resources: resources)
                }
            } else {
                guard let request = try? Envoy_Service_Discovery_V3_DeltaDiscoveryRequest(serializedBytes: message)
                else { continue }
                _ = delta.received(request)
            }
        }
    }

    static let fixedSet: ResourceSet = {
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = "outbound|9080||reviews.default.svc.cluster.local"
        let resources = [try? XDSResource(name: cluster.name, resource: Google_Protobuf_Any(message: cluster))]
            .compactMap { $0 }
        return ResourceSet(generation: 1, resources: resources)
    }()

    public static let quiet = Logger(label: "meshd-fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
}
