import EnvoyAPI
import Foundation
import SwiftProtobuf
import Synchronization

/// The EDS names a CDS response asks for and the RDS names an LDS response asks for, decoded once per distinct
/// content and shared by every simulated proxy (decoding thousands of clusters per proxy would make the load
/// generator, not meshd, the bottleneck). Thread-safe.
final class FollowUpNames: Sendable {
    private let cache = Mutex<[Int: [String]]>([:])
    private static let cacheLimit = 50_000

    /// The names `response` (of `kind`) makes the proxy subscribe to, or nil for EDS and RDS responses.
    func names(for response: Envoy_Service_Discovery_V3_DiscoveryResponse, kind: XDSKind, contentHash: Int) -> [String]?
    {
        guard kind.followUp != nil else { return nil }
        if let cached = cache.withLock({ $0[contentHash] }) { return cached }
        let names = kind == .cluster ? Self.edsNames(response) : Self.rdsNames(response)
        cache.withLock { table in
            if table.count >= Self.cacheLimit { table.removeAll(keepingCapacity: true) }
            table[contentHash] = names
        }
        return names
    }

    /// The EDS or RDS names of one Delta resource (a Cluster or a Listener), cached by its content hash.
    func names(forResource value: Data, kind: XDSKind, contentHash: Int) -> [String] {
        if let cached = cache.withLock({ $0[contentHash] }) { return cached }
        var response = Envoy_Service_Discovery_V3_DiscoveryResponse()
        var any = Google_Protobuf_Any()
        any.value = value
        response.resources = [any]
        let names = kind == .cluster ? Self.edsNames(response) : Self.rdsNames(response)
        cache.withLock { table in
            if table.count >= Self.cacheLimit { table.removeAll(keepingCapacity: true) }
            table[contentHash] = names
        }
        return names
    }

    /// Envoy asks EDS for `eds_cluster_config.service_name`, or the cluster's name when that is empty.
    static func edsNames(_ response: Envoy_Service_Discovery_V3_DiscoveryResponse) -> [String] {
        var names: [String] = []
        for any in response.resources {
            guard let cluster = try? Envoy_Config_Cluster_V3_Cluster(serializedBytes: any.value) else { continue }
            guard case .type(.eds)? = cluster.clusterDiscoveryType else { continue }
            let serviceName = cluster.edsClusterConfig.serviceName
            names.append(serviceName.isEmpty ? cluster.name : serviceName)
        }
        return names.sorted()
    }

    /// The `rds.route_config_name` of every HTTP connection manager in every filter chain.
    static func rdsNames(_ response: Envoy_Service_Discovery_V3_DiscoveryResponse) -> [String] {
        typealias HCM = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager
        var names = Set<String>()
        for any in response.resources {
            guard let listener = try? Envoy_Config_Listener_V3_Listener(serializedBytes: any.value) else { continue }
            let chains = listener.filterChains + (listener.hasDefaultFilterChain ? [listener.defaultFilterChain] : [])
            for chain in chains {
                for filter in chain.filters {
                    guard case .typedConfig(let config)? = filter.configType,
                        config.typeURL.hasSuffix(".HttpConnectionManager"),
                        let hcm = try? HCM(serializedBytes: config.value), case .rds(let rds)? = hcm.routeSpecifier
                    else { continue }
                    names.insert(rds.routeConfigName)
                }
            }
        }
        return names.sorted()
    }

    /// A hash of what a response carries (its resources' bytes), to tell new content from a resend.
    static func contentHash(_ response: Envoy_Service_Discovery_V3_DiscoveryResponse) -> (hash: Int, bytes: Int) {
        var hasher = Hasher()
        var bytes = 0
        hasher.combine(response.resources.count)
        for any in response.resources {
            bytes += any.value.count
            any.value.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
        return (hasher.finalize(), bytes)
    }
}
