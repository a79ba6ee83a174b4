import EnvoyAPI

/// The small pieces every TLS context is made of: an SDS reference over ADS, a file on the proxy's disk, and a
/// SAN matcher.
enum TLSParts {
    /// A secret fetched from meshd over the ADS stream.
    static func sds(_ name: String) -> Envoy_Extensions_TransportSockets_Tls_V3_SdsSecretConfig {
        var config = Envoy_Extensions_TransportSockets_Tls_V3_SdsSecretConfig()
        config.name = name
        config.sdsConfig = ProtoValues.ads
        return config
    }

    /// A file Envoy reads itself.
    static func file(_ path: String) -> Envoy_Config_Core_V3_DataSource {
        var source = Envoy_Config_Core_V3_DataSource()
        source.filename = path
        return source
    }

    /// An exact SAN: a URI SAN for `spiffe://` identities, a DNS SAN otherwise.
    static func subjectAltName(_ name: String) -> Envoy_Extensions_TransportSockets_Tls_V3_SubjectAltNameMatcher {
        var matcher = Envoy_Extensions_TransportSockets_Tls_V3_SubjectAltNameMatcher()
        matcher.sanType = name.hasPrefix("spiffe://") ? .uri : .dns
        var string = Envoy_Type_Matcher_V3_StringMatcher()
        string.exact = name
        matcher.matcher = string
        return matcher
    }
}
