public import MeshModel

/// Where an object lives in etcd: `<prefix>/<apiVersion>/<kind>/<namespace>/<name>`, one object per key.
///
/// `apiVersion` is written as in YAML, so a core object has four segments after the prefix
/// (`/meshd/v1/Service/default/reviews`) and a grouped one five
/// (`/meshd/networking.istio.io/v1/VirtualService/default/reviews`). Keys whose first segment after the prefix
/// starts with `_` are meshd's own state (the shared CA, replicas), never config.
public struct EtcdKeyLayout: Sendable, Hashable {
    /// The prefix with no trailing slash, e.g. `/meshd`.
    public let prefix: String

    /// Normalises `--etcd-prefix`: a leading slash is added and trailing ones dropped (`meshd/` → `/meshd`).
    public init(prefix: String) {
        var text = Substring(prefix)
        while text.hasSuffix("/") { text = text.dropLast() }
        self.prefix = text.hasPrefix("/") ? String(text) : "/" + text
    }

    /// Every key of the layout, config and meshd's own state, starts with this.
    public var watchedPrefix: String { prefix + "/" }

    /// What a key names.
    public enum Entry: Sendable, Hashable {
        case object(apiVersion: String, kind: String, namespace: String, name: String)
        /// meshd's own state (`<prefix>/_…`): not config.
        case reserved
        /// Under the prefix but not in the layout; the reason says why.
        case malformed(String)
    }

    /// The key an object is stored under.
    public func key(apiVersion: String, kind: String, namespace: String, name: String) -> String {
        "\(prefix)/\(apiVersion)/\(kind)/\(namespace)/\(name)"
    }

    /// The key of an object in meshd's own state, e.g. `reservedKey("ca", "root-cert.pem")`.
    public func reservedKey(_ parts: String...) -> String {
        "\(prefix)/_" + parts.joined(separator: "/")
    }

    /// Reads a key of the watched prefix.
    public func entry(forKey key: String) -> Entry {
        guard key.hasPrefix(watchedPrefix) else { return .malformed("not under \(watchedPrefix)") }
        let segments = key.dropFirst(watchedPrefix.count).split(separator: "/", omittingEmptySubsequences: false)
        if segments.first?.hasPrefix("_") == true { return .reserved }
        guard !segments.contains(where: \.isEmpty) else {
            return .malformed("has an empty segment; expected \(layoutDescription)")
        }
        switch segments.count {
        case 4:
            return .object(
                apiVersion: String(segments[0]), kind: String(segments[1]), namespace: String(segments[2]),
                name: String(segments[3]))
        case 5:
            return .object(
                apiVersion: "\(segments[0])/\(segments[1])", kind: String(segments[2]), namespace: String(segments[3]),
                name: String(segments[4]))
        default:
            return .malformed("has \(segments.count) segments after the prefix; expected \(layoutDescription)")
        }
    }

    var layoutDescription: String { "\(prefix)/<apiVersion>/<kind>/<namespace>/<name>" }

    /// The keys under which the object `key` may be stored, one per apiVersion meshd accepts for its kind.
    public func keys(of key: ResourceKey) -> [String] {
        ConfigDecoder.apiVersions(of: key.kind).map {
            self.key(apiVersion: $0, kind: key.kind.rawValue, namespace: key.namespace, name: key.name)
        }
    }
}
