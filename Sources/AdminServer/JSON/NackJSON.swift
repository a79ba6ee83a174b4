import Foundation
import MeshModel
import XDSServer

/// A rejection with what it means in the operator's terms: the resources Envoy refused, its message, and
/// the objects that produced those resources, as the resources themselves name them (`XDSResource.sources`, filled by
/// the generators that built them), with the files and lines where they are written now.
struct NackExplanationJSON: Encodable {
    struct Source: Encodable {
        var resource: String
        var object: String
        var source: String
    }

    var proxy: String
    var type: String
    var version: String
    var nonce: String
    var resourceNames: [String]
    var error: String
    var ageSeconds: Double
    var sources: [Source]

    /// `sent`: the resources of the rejected type as the proxy was sent them (`SentResources`); the explanation
    /// names what those of them Envoy refused came from, and `locate` where each of those objects is written.
    init(
        proxy: String, type: XDSType, nack: NackRecord, sent: [XDSResource],
        locate: (ResourceKey) -> SourceLocation?, now: ContinuousClock.Instant = .now
    ) {
        self.proxy = proxy
        self.type = type.shortName
        version = nack.version
        nonce = nack.nonce
        resourceNames = nack.resourceNames
        error = nack.message
        ageSeconds = Durations.seconds(now - nack.at)
        sources = Self.sources(
            of: Self.namesIn(error: nack.message, sent: nack.resourceNames), error: nack.message, in: sent,
            locate: locate)
    }

    /// Envoy names the failing resource in its message when it can; explain those first, else all sent.
    static func namesIn(error: String, sent: [String]) -> [String] {
        let mentioned = sent.filter { error.contains($0) }
        return mentioned.isEmpty ? sent : mentioned
    }

    /// The sources of each of `names` (at most 50). When Envoy's message quotes RBAC policy names
    /// (`ns[<ns>]-policy[<name>]-rule[<i>]`), the security policies among them are narrowed to the quoted ones. An
    /// object no longer in the configuration is still named, as removed.
    static func sources(
        of names: [String], error: String, in sent: [XDSResource], locate: (ResourceKey) -> SourceLocation?
    ) -> [Source] {
        let byName = Dictionary(sent.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let quoted = Set(quotedPolicies(in: error).map { "\($0.0)/\($0.1)" })
        return names.prefix(50).flatMap { name in
            (byName[name]?.sources ?? []).filter { explains($0, quoted: quoted) }.map { key in
                Source(
                    resource: name, object: key.description,
                    source: locate(key)?.description ?? "no longer in the configuration")
            }
        }
    }

    private static func explains(_ source: ResourceKey, quoted: Set<String>) -> Bool {
        guard !quoted.isEmpty else { return true }
        switch source.kind {
        case .authorizationPolicy: return quoted.contains("\(source.namespace)/\(source.name)")
        case .requestAuthentication: return false
        default: return true
        }
    }

    /// `(namespace, name)` of every `ns[..]-policy[..]` in `text`: the RBAC policy names Envoy quotes.
    static func quotedPolicies(in text: String) -> [(String, String)] {
        var found: [(String, String)] = []
        var rest = Substring(text)
        while let ns = rest.range(of: "ns[") {
            let after = rest[ns.upperBound...]
            guard let close = after.range(of: "]-policy["), let end = after[close.upperBound...].firstIndex(of: "]")
            else { break }
            found.append((String(after[..<close.lowerBound]), String(after[close.upperBound..<end])))
            rest = after[end...]
        }
        return found
    }
}

/// Duration formatting shared by the JSON models.
enum Durations {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func milliseconds(_ duration: Duration) -> Double { (seconds(duration) * 1000 * 1000).rounded() / 1000 }
}
