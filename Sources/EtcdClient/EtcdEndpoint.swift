/// One etcd member's client URL: `http://HOST:PORT` or `https://HOST:PORT` (`HOST:PORT` alone means http).
///
/// HOST is an IPv4 address, a bracketed IPv6 address or a DNS name. There is no path: etcd's gRPC API is served at
/// the root of the client URL.
public struct EtcdEndpoint: Sendable, Hashable, CustomStringConvertible {
    public enum Host: Sendable, Hashable {
        case ipv4(String)
        case ipv6(String)
        case dns(String)
    }

    public var host: Host
    public var port: Int
    /// True for `https://`: the connection is TLS, verified against the connection's trust roots.
    public var usesTLS: Bool

    public init(host: Host, port: Int, usesTLS: Bool) {
        self.host = host
        self.port = port
        self.usesTLS = usesTLS
    }

    /// Parses one URL; throws `EtcdError.invalidEndpoint` naming what is wrong.
    public init(parsing url: String) throws {
        var rest = Substring(url)
        var tls = false
        if rest.hasPrefix("https://") {
            tls = true
            rest = rest.dropFirst("https://".count)
        } else if rest.hasPrefix("http://") {
            rest = rest.dropFirst("http://".count)
        } else if rest.contains("://") {
            throw EtcdError.invalidEndpoint(url, reason: "the scheme must be http or https")
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains("/") else {
            throw EtcdError.invalidEndpoint(url, reason: "a client URL has no path")
        }
        let hostText: Substring
        let portText: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw EtcdError.invalidEndpoint(url, reason: "an IPv6 address needs a closing ]")
            }
            hostText = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":") else { throw EtcdError.invalidEndpoint(url, reason: "expected HOST:PORT") }
            portText = after.dropFirst()
        } else {
            guard let colon = rest.lastIndex(of: ":") else {
                throw EtcdError.invalidEndpoint(url, reason: "expected HOST:PORT (etcd's client port is usually 2379)")
            }
            hostText = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw EtcdError.invalidEndpoint(url, reason: "the port must be a number from 1 to 65535")
        }
        guard !hostText.isEmpty else { throw EtcdError.invalidEndpoint(url, reason: "the host is empty") }
        let host: Host
        if rest.hasPrefix("[") {
            host = .ipv6(String(hostText))
        } else if Self.isIPv4(hostText) {
            host = .ipv4(String(hostText))
        } else {
            host = .dns(String(hostText))
        }
        self.init(host: host, port: port, usesTLS: tls)
    }

    /// Parses a comma-separated list (`--etcd-endpoints`); at least one URL.
    public static func parseList(_ text: String) throws -> [EtcdEndpoint] {
        let urls = text.split(separator: ",").map { $0.trimmedOfSpaces() }.filter { !$0.isEmpty }
        guard !urls.isEmpty else { throw EtcdError.invalidEndpoint(text, reason: "no URL given") }
        return try urls.map { try EtcdEndpoint(parsing: $0) }
    }

    public var description: String {
        let hostText =
            switch host {
            case .ipv4(let address), .dns(let address): address
            case .ipv6(let address): "[\(address)]"
            }
        return "\(usesTLS ? "https" : "http")://\(hostText):\(port)"
    }

    private static func isIPv4(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in part.count <= 3 && UInt8(part) != nil }
    }
}

extension StringProtocol {
    fileprivate func trimmedOfSpaces() -> String {
        var slice = Substring(self)
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
