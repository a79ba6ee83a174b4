import MeshPrimitives

/// The xDS type URLs meshd serves, exactly as Envoy writes them in `DiscoveryRequest.type_url`: read from
/// `MeshPrimitives.XDSType`, their one definition.
public enum TypeURL {
    public static let cluster = XDSType.cluster.rawValue
    public static let listener = XDSType.listener.rawValue
    public static let route = XDSType.route.rawValue
    public static let endpoint = XDSType.endpoint.rawValue
    public static let secret = XDSType.secret.rawValue
    public static let extensionConfig = XDSType.extensionConfig.rawValue
}
