import MeshModel

/// The init container's part of injection: the iptables redirect of `SidecarInterception` (Istio's
/// `istio-iptables` in REDIRECT mode), the same rules the end-to-end pods install.
enum InjectInterception {
    /// The init container's shell script: load the rules atomically (`--noflush` keeps the kubelet's and CNI's
    /// own nat rules), then print the table so that `kubectl logs -c istio-init` shows what was installed.
    static func script(
        proxyUID: Int = InjectSettings.proxyUID, interception: InterceptionSettings = InterceptionSettings()
    ) -> String {
        """
        set -eu
        iptables-restore --noflush <<'RULES'
        \(SidecarInterception.rules(proxyUID: proxyUID, settings: interception))RULES
        iptables -t nat -S

        """
    }
}
