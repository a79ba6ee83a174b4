import Discovery
import Hummingbird

/// `/ready`, `/healthz`, `/version` and `/metrics`.
struct HealthRoutes {
    let context: AdminContext

    struct VersionJSON: Encodable {
        var name = "meshd"
        var version = MeshdVersion.version
        var xdsAPI = "v3"
        var testedEnvoy = MeshdVersion.testedEnvoy
    }

    func register(on router: Router<BasicRequestContext>) {
        let context = context
        router.get("/ready") { _, _ -> Response in
            let pending = context.readiness.pending
            if pending.isEmpty {
                let degraded = context.readiness.degradations()
                if degraded.isEmpty { return Responses.text("ready\n") }
                return Responses.text("ready (\(degraded.joined(separator: "; ")))\n")
            }
            return Responses.text("not ready: \(pending.joined(separator: "; "))\n", status: .serviceUnavailable)
        }
        router.get("/healthz") { _, _ in Responses.text("ok\n") }
        router.get("/version") { _, _ in Responses.json(VersionJSON()) }
        router.get("/metrics") { _, _ in
            context.caMetrics?.refresh()
            context.replicas?.recordLag()
            let budget = context.ads.unansweredBytes
            context.metrics.makeGauge(
                name: "meshd_xds_unanswered_bytes", help: "Bytes of responses written and not yet ACKed or NACKed"
            )
            .set(Int64(budget.held))
            context.metrics.makeGauge(
                name: "meshd_xds_unanswered_bytes_peak", help: "The most bytes ever written and unanswered at once"
            )
            .set(Int64(budget.peak))
            return Responses.text(
                context.metrics.emitToString(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }
}
