import Foundation

/// Renders `id="certificates"`: when the CA's root and signing certificate expire, or, while no CA status
/// reaches the admin server, what the proxies show of it (SDS sent or not).
enum CertificateSection {
    /// Below this many days to expiry the date turns amber; a rotation should be under way.
    static let warningDays = 30.0

    /// - Parameter sdsProxies: proxies that were sent secrets; a CA is at work when there are any.
    static func render(_ summary: CertificateSummary?, sdsProxies: Int, now: Date) -> String {
        guard let summary else {
            let text =
                sdsProxies == 0
                ? "CA: not configured"
                : "CA: issuing workload certificates (SDS sent to \(sdsProxies) \(sdsProxies == 1 ? "proxy" : "proxies")); "
                    + "expiry dates are not reported to the admin server yet"
            return """
                <section id="certificates"><h2>Certificates</h2>
                <p class="empty" id="ca-status">\(text)</p></section>

                """
        }
        let kind = summary.isPluginCA ? "plug-in intermediate" : "self-signed root"
        return """
            <section id="certificates"><h2>Certificates</h2>
            <p class="meta" id="ca-status">CA: \(kind) · \(summary.issuedCount) certificates issued</p>
            <table class="certs"><tbody>
            \(expiry("Root", summary.rootNotAfter, now: now))
            \(expiry("Signing certificate", summary.signingCertNotAfter, now: now))
            </tbody></table></section>

            """
    }

    static func expiry(_ label: String, _ notAfter: Date, now: Date) -> String {
        let days = notAfter.timeIntervalSince(now) / 86_400
        let state = days <= 0 ? "bad" : days < warningDays ? "warn" : "ok"
        let remaining = days <= 0 ? "expired" : "in \(Int(days)) days"
        let date = ISO8601DateFormatter().string(from: notAfter)
        return "<tr class=\"expiry \(state)\"><th>\(HTML.escape(label))</th><td>\(date)</td><td>\(remaining)</td></tr>"
    }
}
