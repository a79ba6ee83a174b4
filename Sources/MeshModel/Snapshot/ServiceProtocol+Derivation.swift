extension ServiceProtocol {
    /// The protocol of a Kubernetes Service port, as Istio selects it: `appProtocol` first, then the port name
    /// (`http-api` -> HTTP, `grpc` -> GRPC), else TCP.
    public static func kubernetes(name: String?, appProtocol: String?) -> ServiceProtocol {
        if let appProtocol, let derived = named(appProtocol) { return derived }
        guard let name = name?.lowercased(), !name.isEmpty else { return .tcp }
        if let whole = named(name) { return whole }
        if let dash = name.firstIndex(of: "-"), let prefix = named(String(name[..<dash])) { return prefix }
        return .tcp
    }

    /// The protocol of a ServiceEntry port's `protocol` field; unknown values (MONGO, MYSQL, ...) are TCP.
    public static func serviceEntry(_ text: String) -> ServiceProtocol {
        named(text) ?? .tcp
    }

    /// A protocol name as Istio spells it in port names, `appProtocol` or ServiceEntry ports, case-insensitively.
    static func named(_ text: String) -> ServiceProtocol? {
        switch text.lowercased() {
        case "http", "kubernetes.io/ws": .http
        case "http2", "h2c", "kubernetes.io/h2c", "grpc-web": .http2
        case "grpc": .grpc
        case "https", "kubernetes.io/wss": .https
        case "tls": .tls
        case "tcp", "udp", "mongo", "mysql", "redis": .tcp
        default: nil
        }
    }
}
