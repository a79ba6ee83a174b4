import Foundation

/// The parts of Envoy's `/config_dump?include_eds` that tell which xDS versions Envoy has accepted.
public struct EnvoyConfigDump: Sendable {
    /// `ClustersConfigDump.version_info`: the last CDS version Envoy accepted.
    public var clustersVersion: String?
    /// `ListenersConfigDump.version_info`: the last LDS version Envoy accepted.
    public var listenersVersion: String?
    /// `version_info` of each dynamic route configuration, by route configuration name.
    public var routeVersions: [String: String] = [:]
    /// `version_info` of each dynamic endpoint configuration (ClusterLoadAssignment), by cluster name.
    public var endpointVersions: [String: String] = [:]
    /// Names of the dynamic clusters and listeners Envoy runs.
    public var dynamicClusters: [String] = []
    public var dynamicListeners: [String] = []
    /// Each dynamic route configuration as JSON text, by name, for assertions on routes.
    public var routeConfigs: [String: String] = [:]

    /// Reads a parsed `/config_dump` document. Unknown sections are ignored.
    public init(json: Any) throws {
        guard let root = json as? [String: Any], let configs = root["configs"] as? [[String: Any]] else {
            throw HarnessError("config_dump has no `configs` array")
        }
        for config in configs {
            let type = (config["@type"] as? String) ?? ""
            if type.hasSuffix(".ClustersConfigDump") {
                clustersVersion = config["version_info"] as? String
                dynamicClusters = Self.array(config["dynamic_active_clusters"]).compactMap {
                    ($0["cluster"] as? [String: Any])?["name"] as? String
                }
            } else if type.hasSuffix(".ListenersConfigDump") {
                listenersVersion = config["version_info"] as? String
                dynamicListeners = Self.array(config["dynamic_listeners"]).compactMap { $0["name"] as? String }
            } else if type.hasSuffix(".RoutesConfigDump") {
                for route in Self.array(config["dynamic_route_configs"]) {
                    guard let routeConfig = route["route_config"] as? [String: Any],
                        let name = routeConfig["name"] as? String
                    else { continue }
                    routeVersions[name] = route["version_info"] as? String ?? ""
                    routeConfigs[name] = Self.text(routeConfig)
                }
            } else if type.hasSuffix(".EndpointsConfigDump") {
                for endpoint in Self.array(config["dynamic_endpoint_configs"]) {
                    guard let assignment = endpoint["endpoint_config"] as? [String: Any],
                        let cluster = assignment["cluster_name"] as? String
                    else { continue }
                    endpointVersions[cluster] = endpoint["version_info"] as? String ?? ""
                }
            }
        }
    }

    private static func array(_ value: Any?) -> [[String: Any]] { value as? [[String: Any]] ?? [] }

    private static func text(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
