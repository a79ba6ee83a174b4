import MeshPrimitives

/// The four xDS types a sidecar needs, in the order Envoy applies them.
enum XDSKind: Int, CaseIterable, Sendable, Codable {
    case cluster, endpoint, listener, route

    /// The type's xDS type URL and short name, from their one definition (`MeshPrimitives.XDSType`).
    var type: XDSType {
        switch self {
        case .cluster: .cluster
        case .endpoint: .endpoint
        case .listener: .listener
        case .route: .route
        }
    }

    var typeURL: String { type.rawValue }

    var shortName: String { type.shortName }

    init?(typeURL: String) {
        guard let kind = Self.allCases.first(where: { $0.typeURL == typeURL }) else { return nil }
        self = kind
    }
}
