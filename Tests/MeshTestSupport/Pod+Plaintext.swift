import Foundation

extension Pod {
    /// Turns this pod into one without a sidecar: removes Istio's interception rules, so its connections leave
    /// the pod as they are (plaintext, no client certificate).
    public func removeInterception() throws {
        try Subprocess.check(["ip", "netns", "exec", netns, "iptables", "-t", "nat", "-F"])
    }

    /// One plain HTTP GET from inside the pod to `url` (no proxy); nil when the connection fails or is reset.
    public func plainGet(_ url: String, timeout: Int = 3) -> HTTPResponse? {
        try? HTTPProbe.get(url, inNetns: netns, timeout: timeout)
    }
}
