import Discovery
import Hummingbird

/// `/debug/changes` (every recent change and its convergence, newest first; `?id=N` for one) and
/// `/debug/push_status` (the latest change in brief, and the current rejections).
struct ChangeRoutes {
    let context: AdminContext

    struct PushStatusJSON: Encodable {
        var generation: UInt64
        var snapshotVersion: String
        var connectedProxies: Int
        var latestChange: ChangeJSON?
        var nacks: [NackExplanationJSON]
    }

    func register(on router: Router<BasicRequestContext>) {
        let context = context
        router.get("/debug/changes") { request, _ -> Response in
            let sent = await SentResources.rejected(context)
            if let text = request.uri.queryParameters.get("id") {
                guard let id = UInt64(text), let tracked = context.tracker.change(id: id) else {
                    return Responses.notFound("no change \(text) in the last \(context.tracker.capacity) changes")
                }
                return Responses.json(ChangeJSON(tracked, sent: sent))
            }
            let limit = request.uri.queryParameters.get("limit").flatMap { Int($0) } ?? context.tracker.capacity
            return Responses.json(context.tracker.changes().prefix(max(0, limit)).map { ChangeJSON($0, sent: sent) })
        }
        router.get("/debug/push_status") { _, _ in
            let snapshot = context.provider.snapshot
            let sent = await SentResources.rejected(context)
            return Responses.json(
                PushStatusJSON(
                    generation: context.provider.generation, snapshotVersion: snapshot.version,
                    connectedProxies: context.ads.connectionCount,
                    latestChange: context.tracker.changes().first.map { ChangeJSON($0, sent: sent) },
                    nacks: SyncRoutes.nacks(context, sent: sent)))
        }
    }
}
