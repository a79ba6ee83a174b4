import Hummingbird
import Registry

/// `GET /debug/replicas`: this replica's place in the replica set on etcd: its id, whether it leads and who does,
/// its lease and last renewal, the replicas registered, the leader's duties, and the config watch's revision and lag.
/// 404 when meshd runs without etcd.
struct ReplicaRoutes {
    let context: AdminContext

    func register(on router: Router<BasicRequestContext>) {
        let context = context
        router.get("/debug/replicas") { _, _ -> Response in
            guard let replicas = context.replicas else {
                return Responses.notFound("meshd runs as a single replica (no --etcd-endpoints)")
            }
            return Responses.json(replicas.view())
        }
    }
}
