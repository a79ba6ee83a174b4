import Discovery
import Foundation
import MeshModel
import Registry
import XDSServer

/// Everything the status page shows, read from the admin context at one moment. A plain value, so every
/// renderer is a pure function of it and can be tested without a server or a proxy.
struct StatusPageModel {
    /// How many recent changes the page lists; `/debug/changes` has the whole ring.
    static let changeLimit = 15

    var meshdVersion: String
    var generatedAt: Date
    var mesh: MeshSummary
    var proxies: [ProxySyncRow]
    var changes: [ChangeJSON]
    var nacks: [NackExplanationJSON]
    /// Per workload: default-deny, allow-some or open.
    var authorization: [WorkloadAuthorizationRow] = []
    /// Nil until the admin context carries the CA's status.
    var certificates: CertificateSummary?

    /// Proxies that were sent SDS secrets: evidence of a working CA while `certificates` is nil.
    var sdsProxies: Int {
        proxies.filter { row in row.cells.contains { $0.type == XDSType.secret.shortName && $0.status != "NOT_SENT" } }
            .count
    }
}

/// The mesh at a glance: what the snapshot in force holds and what the store refused or warned about.
struct MeshSummary {
    var snapshotVersion: String
    var generation: UInt64
    var services: Int
    var workloads: Int
    var configObjects: Int
    /// `file:line: Kind/ns/name: field: reason`, as `meshd validate` prints them.
    var errors: [String]
    var warnings: [String]
    /// Why meshd is not ready; empty when ready.
    var notReady: [String]
    var connectedProxies: Int
}

/// Certificate expiry as the status page shows it. Holds no key material.
struct CertificateSummary {
    var rootNotAfter: Date
    var signingCertNotAfter: Date
    var isPluginCA: Bool
    var issuedCount: Int
}

extension StatusPageModel {
    /// Reads every section from `context`. Each part is a thread-safe copy, so sections may disagree by a
    /// push that lands in between; the next refresh shows it.
    /// `sent`: what the proxies were sent of the types they rejected (`SentResources.rejected`).
    init(context: AdminContext, sent: SentResources, now: ContinuousClock.Instant = .now, wallNow: Date = Date()) {
        let snapshot = context.provider.snapshot
        let diagnostics = context.store.diagnostics()
        meshdVersion = MeshdVersion.version
        generatedAt = wallNow
        mesh = MeshSummary(
            snapshotVersion: snapshot.version, generation: context.provider.generation,
            services: snapshot.services.count, workloads: snapshot.workloads.count,
            configObjects: context.store.objects().count,
            errors: diagnostics.filter(\.isError).map(\.description),
            warnings: diagnostics.filter { !$0.isError }.map(\.description),
            notReady: context.readiness.pending, connectedProxies: context.ads.connectionCount)
        proxies = context.ads.status.all().map { ProxySyncRow($0, now: now) }
        changes = context.tracker.changes().prefix(Self.changeLimit).map { ChangeJSON($0, sent: sent) }
        nacks = SyncRoutes.nacks(context, sent: sent)
        authorization = WorkloadAuthorizationRow.rows(snapshot)
        certificates = context.caMetrics.map { metrics in
            let status = metrics.status
            return CertificateSummary(
                rootNotAfter: status.rootNotAfter, signingCertNotAfter: status.signingCertNotAfter,
                isPluginCA: status.isPluginCA,
                issuedCount: status.issuedCount)
        }
    }
}
