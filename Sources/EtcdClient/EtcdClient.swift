public import GRPCCore
public import GRPCNIOTransportHTTP2

/// Opens sessions with an etcd cluster over its v3 gRPC API.
///
/// A session is one HTTP/2 connection to one member; `withSession` owns it for the duration of its body and closes
/// it afterwards. Callers that run for long (the config source) open a new session after a failure, moving to the
/// next endpoint, so a cluster with one member down is still served.
public enum EtcdClient {
    /// Connects to `connection.endpoints[endpointIndex % count]`, authenticates when credentials are set, and runs
    /// `body` with the session. Throws `EtcdError` for TLS material that cannot be used and for refused credentials;
    /// a member that cannot be reached fails the first call with `EtcdError.call`.
    public static func withSession<Result: Sendable>(
        _ connection: EtcdConnection, endpointIndex: Int = 0,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (EtcdSession) async throws -> Result
    ) async throws -> Result {
        guard !connection.endpoints.isEmpty else {
            throw EtcdError.invalidEndpoint("", reason: "no etcd endpoint given")
        }
        let endpoint = connection.endpoints[endpointIndex % connection.endpoints.count]
        let transport = try makeTransport(endpoint, connection: connection)
        return try await withGRPCClient(transport: transport, isolation: isolation) { client in
            var session = EtcdSession(client: client, endpoint: endpoint, timeout: connection.requestTimeout)
            if let credentials = connection.credentials {
                let token = try await session.authenticate(credentials)
                session.metadata.addString(token, forKey: "token")
            }
            return try await body(session)
        }
    }

    /// Runs `body` with a session on the first endpoint that answers, trying each endpoint once, in order from
    /// `start`. Failures other than a member being unreachable (a refused password, a failed transaction) are
    /// thrown at once. For one-shot commands such as `meshd apply`.
    public static func withAnySession<Result: Sendable>(
        _ connection: EtcdConnection, start: Int = 0,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (EtcdSession) async throws -> Result
    ) async throws -> Result {
        var lastError: (any Error)?
        for offset in 0..<max(connection.endpoints.count, 1) {
            do {
                return try await withSession(connection, endpointIndex: start + offset, isolation: isolation) {
                    session in
                    // Reach the member before running the body, so that "unreachable" is told apart from a failure
                    // of the body's own calls.
                    _ = try await session.currentRevision()
                    return try await body(session)
                }
            } catch let error as EtcdError where error.isUnreachable {
                lastError = error
            }
        }
        throw lastError ?? EtcdError.invalidEndpoint("", reason: "no etcd endpoint given")
    }

    static func makeTransport(
        _ endpoint: EtcdEndpoint, connection: EtcdConnection
    ) throws
        -> HTTP2ClientTransport.Posix
    {
        var config = HTTP2ClientTransport.Posix.Config.defaults
        config.connection.keepalive = .init(
            time: connection.keepaliveTime, timeout: connection.keepaliveTimeout, allowWithoutCalls: true)
        // Retry connecting quickly: the caller bounds every call with a deadline and has its own backoff.
        config.backoff = .init(initial: .milliseconds(100), max: .seconds(2), multiplier: 1.6, jitter: 0.2)
        let target: any ResolvableTarget =
            switch endpoint.host {
            case .ipv4(let address): .ipv4(address: address, port: endpoint.port)
            case .ipv6(let address): .ipv6(address: address, port: endpoint.port)
            case .dns(let name): .dns(host: name, port: endpoint.port)
            }
        let security = try transportSecurity(endpoint, tls: connection.tls)
        do {
            return try HTTP2ClientTransport.Posix(target: target, transportSecurity: security, config: config)
        } catch {
            throw EtcdError.tls("\(endpoint): \(error)")
        }
    }

    static func transportSecurity(
        _ endpoint: EtcdEndpoint, tls: EtcdConnection.TLS
    ) throws
        -> HTTP2ClientTransport.Posix.TransportSecurity
    {
        guard endpoint.usesTLS else {
            if tls.certificateFile != nil || tls.trustedCAFile != nil {
                throw EtcdError.tls("\(endpoint) is http://, but TLS files were given: use an https:// endpoint")
            }
            return .plaintext
        }
        var config = HTTP2ClientTransport.Posix.TransportSecurity.TLS.defaults
        if let ca = tls.trustedCAFile {
            config.trustRoots = .certificates([.file(path: ca, format: .pem)])
        }
        switch (tls.certificateFile, tls.keyFile) {
        case (let certificate?, let key?):
            config.certificateChain = [.file(path: certificate, format: .pem)]
            config.privateKey = .file(path: key, format: .pem)
        case (nil, nil):
            break
        default:
            throw EtcdError.tls("a client certificate needs both its certificate file and its key file")
        }
        return .tls(config)
    }
}

extension EtcdError {
    /// True when the member could not be reached at all (another member may answer).
    public var isUnreachable: Bool {
        guard case .call(_, let code, _) = self else { return false }
        return code == "unavailable" || code == "deadline exceeded" || code == "deadlineExceeded"
    }
}
