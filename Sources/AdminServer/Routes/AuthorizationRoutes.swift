import Discovery
import Foundation
import Hummingbird
import MeshModel

/// `/debug/authorizationz?proxyID=` (istiod's name): what authorization a connected proxy gets, and why.
struct AuthorizationRoutes {
    let context: AdminContext

    func register(on router: Router<BasicRequestContext>) {
        let context = context
        router.get("/debug/authorizationz") { request, _ -> Response in
            guard let proxyID = request.uri.queryParameters.get("proxyID") else {
                return Responses.badRequest(
                    "authorizationz needs ?proxyID=<pod>.<namespace> or the full node id; see /debug/connections")
            }
            guard let proxy = context.provider.connected.proxy(id: proxyID) else {
                return Responses.notFound("no connected proxy \"\(proxyID)\"; see /debug/connections")
            }
            return Responses.json(
                AuthorizationJSON(
                    proxy: proxy, snapshot: context.provider.snapshot, settings: context.provider.translatorSettings))
        }
    }
}
