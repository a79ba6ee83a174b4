import Foundation
import Hummingbird
import XDSServer

/// `POST /debug/ca/rotate-root`: the operator's root rotation for meshd's self-signed CA. The new root joins
/// the trust bundle in the same step that it starts signing, and `ROOTCA` is pushed to every proxy at once;
/// workload certificates move to the new root at their next half-life rotation. Behind the bearer token like
/// every `/debug` path. A plug-in CA refuses (rotate its files instead).
struct CARoutes {
    let context: AdminContext

    struct RotationJSON: Encodable {
        var rootNotAfter: String
        var trustedRoots: Int
        var pushedProxies: Int
    }

    func register(on router: Router<BasicRequestContext>) {
        let context = context
        router.post("/debug/ca/rotate-root") { _, _ -> Response in
            guard let ca = context.caMetrics?.authority else {
                return Responses.notFound("meshd runs no certificate authority")
            }
            do {
                if let rotate = context.rotateSharedRoot {
                    try await rotate()
                } else {
                    try ca.rotateRoot()
                }
            } catch {
                return Responses.text("root rotation refused: \(error)\n", status: .conflict)
            }
            context.ads.push(PushRequest(types: [.secret]))
            let status = ca.status
            return Responses.json(
                RotationJSON(
                    rootNotAfter: ISO8601DateFormatter().string(from: status.rootNotAfter),
                    trustedRoots: status.trustedRootCount,
                    pushedProxies: context.ads.connectionCount))
        }
    }
}
