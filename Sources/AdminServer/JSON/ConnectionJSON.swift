import Discovery

/// `/debug/connections`: one row per live ADS stream, with the proxy's parsed identity.
struct ConnectionJSON: Encodable {
    var proxy: String
    var connectionID: UInt64
    var connectedSeconds: Double
    var remotePeer: String
    var kind: String
    var podName: String
    var namespace: String
    var ipAddresses: [String]
    var labels: [String: String]
    var serviceAccount: String?
    var clusterID: String?

    init(_ entry: ConnectedProxies.Entry, now: ContinuousClock.Instant = .now) {
        proxy = entry.proxy.id
        connectionID = entry.connection
        connectedSeconds = Durations.seconds(now - entry.connectedAt)
        remotePeer = entry.remotePeer
        kind = entry.proxy.kind.rawValue
        podName = entry.proxy.podName
        namespace = entry.proxy.namespace
        ipAddresses = entry.proxy.ipAddresses
        labels = entry.proxy.labels
        serviceAccount = entry.proxy.serviceAccount
        clusterID = entry.proxy.clusterID
    }
}
