import Foundation

/// The parts of Envoy's `/config_dump?include_eds` that tell what Envoy runs and which xDS versions it accepted.
///
/// Envoy fills `version_info` for CDS, LDS and each RDS route configuration, but not for the dynamic endpoint
/// configurations it dumps (it rebuilds those from its cluster manager); the EDS version of a cluster is in its
/// `cluster.<name>.version_text` stat instead (see `Sidecar.edsVersions`).
public struct EnvoyConfigDump: Sendable {
    /// `ClustersConfigDump.version_info`: the last CDS version Envoy accepted.
    public var clustersVersion: String?
    /// `ListenersConfigDump.version_info`: the last LDS version Envoy accepted.
    public var listenersVersion: String?
    /// `version_info` of each dynamic route configuration, by route configuration name.
    public var routeVersions: [String: String] = [:]
    /// Names of the dynamic clusters and listeners Envoy runs.
    public var dynamicClusters: [String] = []
    public var dynamicListeners: [String] = []
    /// The dynamic clusters whose endpoints come from EDS.
    public var edsClusters: [String] = []
    /// Endpoint addresses (`ip:port`) of each dynamic endpoint configuration, by cluster name.
    public var endpoints: [String: [String]] = [:]
    /// The bootstrap's `dynamic_resources.ads_config.api_type`: "GRPC" (SotW) or "DELTA_GRPC".
    public var adsAPIType: String?

    /// Reads a parsed `/config_dump` document. Unknown sections are ignored.
    public init(json: Any) throws {
        guard let root = json as? [String: Any], let configs = root["configs"] as? [[String: Any]] else {
            throw HarnessError("config_dump has no `configs` array")
        }
        for config in configs {
            let type = (config["@type"] as? String) ?? ""
            if type.hasSuffix(".BootstrapConfigDump") {
                let bootstrap = config["bootstrap"] as? [String: Any]
                let dynamic = bootstrap?["dynamic_resources"] as? [String: Any]
                adsAPIType = (dynamic?["ads_config"] as? [String: Any])?["api_type"] as? String
            } else if type.hasSuffix(".ClustersConfigDump") {
                clustersVersion = config["version_info"] as? String
                let clusters = Self.array(config["dynamic_active_clusters"]).compactMap {
                    $0["cluster"] as? [String: Any]
                }
                dynamicClusters = clusters.compactMap { $0["name"] as? String }
                edsClusters = clusters.filter { $0["type"] as? String == "EDS" }.compactMap { $0["name"] as? String }
            } else if type.hasSuffix(".ListenersConfigDump") {
                listenersVersion = config["version_info"] as? String
                dynamicListeners = Self.array(config["dynamic_listeners"]).compactMap { $0["name"] as? String }
            } else if type.hasSuffix(".RoutesConfigDump") {
                for route in Self.array(config["dynamic_route_configs"]) {
                    guard let routeConfig = route["route_config"] as? [String: Any],
                        let name = routeConfig["name"] as? String
                    else { continue }
                    routeVersions[name] = route["version_info"] as? String ?? ""
                }
            } else if type.hasSuffix(".EndpointsConfigDump") {
                for endpoint in Self.array(config["dynamic_endpoint_configs"]) {
                    guard let assignment = endpoint["endpoint_config"] as? [String: Any],
                        let cluster = assignment["cluster_name"] as? String
                    else { continue }
                    endpoints[cluster] = Self.addresses(assignment)
                }
            }
        }
    }

    private static func addresses(_ assignment: [String: Any]) -> [String] {
        array(assignment["endpoints"]).flatMap { array($0["lb_endpoints"]) }.compactMap { lbEndpoint in
            let endpoint = lbEndpoint["endpoint"] as? [String: Any]
            let address = (endpoint?["address"] as? [String: Any])?["socket_address"] as? [String: Any]
            guard let ip = address?["address"] as? String else { return nil }
            return "\(ip):\(address?["port_value"] as? Int ?? 0)"
        }.sorted()
    }

    private static func array(_ value: Any?) -> [[String: Any]] { value as? [[String: Any]] ?? [] }
}
