/// How meshd fetches `jwksUri`s; the defaults are istiod's.
public struct JWKSSettings: Sendable {
    /// istiod's `PILOT_JWT_PUB_KEY_REFRESH_INTERVAL`: 20 minutes between fetches of a URI that answered.
    public var refreshInterval: Duration = .seconds(20 * 60)
    /// istiod's `JwtPubKeyRefreshIntervalOnFailure`: a URI whose last fetch failed is tried again after a minute.
    public var retryInterval: Duration = .seconds(60)
    /// istiod's fetch timeout when a rule gives no `timeout`: 5 seconds (`jwksHTTPTimeOutInSec`).
    public var defaultTimeout: Duration = .seconds(5)
    /// The largest key set accepted (see `JWKSDocument.defaultSizeLimit`).
    public var sizeLimit: Int = JWKSDocument.defaultSizeLimit
    /// How often the refresher looks for URIs that are due.
    public var tick: Duration = .seconds(1)

    public init() {}

    /// The timeout for `uri`: the shortest `timeout` of the rules naming it, else the default.
    public func timeout(for references: [JWKSReference]) -> Duration {
        let given = references.compactMap(\.timeoutSeconds).filter { $0 > 0 }.min()
        return given.map { .milliseconds(Int64(($0 * 1000).rounded(.up))) } ?? defaultTimeout
    }
}
