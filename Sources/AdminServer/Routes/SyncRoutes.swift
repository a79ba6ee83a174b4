import Discovery
import Hummingbird
import XDSServer

/// `/debug/syncz` (per proxy and type: sent, ACKed, NACKed) and `/debug/nacks` (every current rejection,
/// explained).
struct SyncRoutes {
    let context: AdminContext

    func register(on router: Router<BasicRequestContext>) {
        let context = context
        router.get("/debug/syncz") { _, _ in
            Responses.json(context.ads.status.all().map { ProxySyncJSON($0) })
        }
        router.get("/debug/nacks") { _, _ in
            Responses.json(Self.nacks(context, sent: await SentResources.rejected(context)))
        }
    }

    /// Every proxy's current rejections: types whose last response was NACKed, explained by what `sent` holds.
    static func nacks(_ context: AdminContext, sent: SentResources) -> [NackExplanationJSON] {
        context.ads.status.all().flatMap { status in
            XDSType.pushOrder.compactMap { type -> NackExplanationJSON? in
                guard let state = status.types[type], let nack = state.lastNack,
                    state.rejectedVersion == state.lastSent?.version
                else {
                    return nil
                }
                return NackExplanationJSON(
                    proxy: status.proxy, type: type, nack: nack,
                    sent: sent.resources(connection: status.connectionID, type: type), locate: sent.location(of:))
            }
        }
    }
}
