import EnvoyAPI
import Foundation
import MeshTestSupport
import SwiftProtobuf
import Synchronization
import XDSClient
import XDSServer

/// What one connected proxy has been sent, as text: an ADS stream that subscribes to CDS (wildcard), to EDS and RDS
/// for the given names, ACKs everything, and keeps the latest resources of each type.
final class ProxyView: Sendable {
    let latest = Mutex<[XDSType: String]>([:])

    /// Connects a sidecar in `default` to meshd for the duration of `body`.
    static func with(
        _ meshd: KubernetesMeshd, endpoints: [String], routes: [String],
        _ body: @Sendable (ProxyView) async throws -> Void
    ) async throws {
        let view = ProxyView()
        try await XDSClient.withADSStream(to: .unix(path: meshd.xdsSocket)) { stream in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await response in stream.responses {
                        guard let type = XDSType(rawValue: response.typeURL) else { continue }
                        view.latest.withLock { $0[type] = Self.text(response, type: type) }
                        // An ACK repeats the subscription: empty names would unsubscribe EDS and RDS.
                        let names = type == .endpoint ? endpoints : type == .route ? routes : []
                        stream.send(
                            .make(
                                type: response.typeURL, names: names, version: response.versionInfo,
                                nonce: response.nonce))
                    }
                }
                var node = Envoy_Config_Core_V3_Node()
                node.id = "sidecar~10.1.0.99~client.default~default.svc.cluster.local"
                node.metadata.fields["NAMESPACE"] = Google_Protobuf_Value(stringValue: "default")
                stream.send(.make(type: XDSType.cluster.rawValue, node: node))
                stream.send(.make(type: XDSType.endpoint.rawValue, names: endpoints))
                stream.send(.make(type: XDSType.route.rawValue, names: routes))
                defer {
                    stream.finish()
                    group.cancelAll()
                }
                try await body(view)
            }
        }
    }

    /// Waits at most `timeout` (the promise: 1 s) until the proxy's `type` resources satisfy `condition`.
    func waitFor(
        _ what: String, _ type: XDSType, timeout: Duration = .seconds(1), _ condition: @escaping (String) -> Bool
    ) async throws {
        do {
            _ = try await Poll.until("\(what) in \(type)", timeout: timeout, interval: .milliseconds(20)) {
                () -> Bool? in
                let text = latest.withLock { $0[type] } ?? ""
                return condition(text) ? true : nil
            }
        } catch {
            let seen = latest.withLock { $0[type] } ?? "nothing"
            throw HarnessError("\(what) not in \(type) within \(timeout); last seen: \(seen.prefix(1500))")
        }
    }

    static func text(_ response: Envoy_Service_Discovery_V3_DiscoveryResponse, type: XDSType) -> String {
        response.resources.map { any -> String in
            switch type {
            case .cluster: (try? Envoy_Config_Cluster_V3_Cluster(unpackingAny: any).textFormatString()) ?? ""
            case .endpoint:
                (try? Envoy_Config_Endpoint_V3_ClusterLoadAssignment(unpackingAny: any).textFormatString()) ?? ""
            case .route: (try? Envoy_Config_Route_V3_RouteConfiguration(unpackingAny: any).textFormatString()) ?? ""
            default: ""
            }
        }.joined(separator: "\n")
    }
}
