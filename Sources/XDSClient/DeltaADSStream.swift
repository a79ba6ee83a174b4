public import EnvoyAPI

/// A Delta ADS stream (`DeltaAggregatedResources`).
public typealias DeltaADSStream =
    XDSStream<Envoy_Service_Discovery_V3_DeltaDiscoveryRequest, Envoy_Service_Discovery_V3_DeltaDiscoveryResponse>

extension Envoy_Service_Discovery_V3_DeltaDiscoveryRequest {
    /// A request as Envoy sends it: subscription changes, the versions it already holds (on reconnect), and
    /// the nonce it answers (with `error` for a NACK).
    public static func make(
        type typeURL: String, subscribe: [String] = [], unsubscribe: [String] = [],
        initialVersions: [String: String] = [:],
        nonce: String = "", node: Envoy_Config_Core_V3_Node? = nil, error: String? = nil
    ) -> Self {
        var request = Self()
        request.typeURL = typeURL
        request.resourceNamesSubscribe = subscribe
        request.resourceNamesUnsubscribe = unsubscribe
        request.initialResourceVersions = initialVersions
        request.responseNonce = nonce
        if let node { request.node = node }
        if let error {
            request.errorDetail.code = 3  // INVALID_ARGUMENT, as Envoy reports a rejected config
            request.errorDetail.message = error
        }
        return request
    }
}
