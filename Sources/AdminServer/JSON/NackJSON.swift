import Discovery
import Foundation
import MeshModel
import XDSServer

/// A rejection with what it means in the operator's terms: the resources Envoy refused, its message, and
/// the objects (with files and lines) that produced those resources.
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

    /// `connected` is the proxy as it connected, when known: it lets a listener NACK be traced to the security
    /// policies (AuthorizationPolicy, RequestAuthentication) whose filters sit on that proxy's listeners.
    init(
        proxy: String, type: XDSType, nack: NackRecord, snapshot: MeshSnapshot, connected: Proxy? = nil,
        now: ContinuousClock.Instant = .now
    ) {
        self.proxy = proxy
        self.type = type.shortName
        version = nack.version
        nonce = nack.nonce
        resourceNames = nack.resourceNames
        error = nack.message
        ageSeconds = Durations.seconds(now - nack.at)
        sources = Self.sources(of: Self.namesIn(error: nack.message, sent: nack.resourceNames), type: type, snapshot: snapshot)
        if type == .listener {
            for name in Self.namesIn(error: nack.message, sent: nack.resourceNames).prefix(50) {
                sources += ResourceProvenance.securityObjects(listener: name, error: nack.message, proxy: connected, in: snapshot).map {
                    Source(resource: name, object: $0.key.description, source: $0.source.description)
                }
            }
        }
    }

    /// Envoy names the failing resource in its message when it can; explain those first, else all sent.
    static func namesIn(error: String, sent: [String]) -> [String] {
        let mentioned = sent.filter { error.contains($0) }
        return mentioned.isEmpty ? sent : mentioned
    }

    static func sources(of names: [String], type: XDSType, snapshot: MeshSnapshot) -> [Source] {
        names.prefix(50).flatMap { name in
            ResourceProvenance.objects(of: name, type: type, in: snapshot).map {
                Source(resource: name, object: $0.key.description, source: $0.source.description)
            }
        }
    }
}

/// Duration formatting shared by the JSON models.
enum Durations {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func milliseconds(_ duration: Duration) -> Double { (seconds(duration) * 1000 * 1000).rounded() / 1000 }
}
