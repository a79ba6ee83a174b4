extension ConnectedProxies {
    /// The admitted client of the newest live connection of the proxy named `id` (as for `proxy(id:)`): what the
    /// provider's `resources(_:for:)` takes, for the admin server to read what it serves that proxy.
    public func client(id: String) -> ProxyClient? {
        proxy(id: id).map { ProxyClient(proxy: $0) }
    }
}
