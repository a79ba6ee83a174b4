extension ConfigDecoder {
    /// `connectionPool.tcp` and `connectionPool.http`. Ranges are checked by the validator.
    static func decodeConnectionPool(_ pool: YAMLMapping) -> ConnectionPoolSettings {
        pool.warnUnsupported(handled: ["tcp", "http"])
        var settings = ConnectionPoolSettings()
        if let tcp = pool.mapping("tcp") {
            tcp.warnUnsupported(
                handled: ["maxConnections", "connectTimeout", "tcpKeepalive", "maxConnectionDuration", "idleTimeout"])
            var keepalive: ConnectionPoolSettings.TCPKeepalive?
            if let alive = tcp.mapping("tcpKeepalive") {
                alive.warnUnsupported(handled: ["probes", "time", "interval"])
                keepalive = ConnectionPoolSettings.TCPKeepalive(
                    probes: alive.int("probes", .uint32), time: alive.goDuration("time"),
                    interval: alive.goDuration("interval"))
            }
            settings.tcp = ConnectionPoolSettings.TCPSettings(
                maxConnections: tcp.int("maxConnections", .int32), connectTimeout: tcp.goDuration("connectTimeout"),
                tcpKeepalive: keepalive, maxConnectionDuration: tcp.goDuration("maxConnectionDuration"),
                idleTimeout: tcp.goDuration("idleTimeout"))
        }
        if let http = pool.mapping("http") {
            http.warnUnsupported(
                handled: [
                    "http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries",
                    "idleTimeout", "h2UpgradePolicy", "useClientProtocol", "maxConcurrentStreams",
                ])
            var upgrade: ConnectionPoolSettings.HTTPSettings.H2UpgradePolicy?
            if let field = http["h2UpgradePolicy"], let text = field.string() {
                upgrade = .init(rawValue: text)
                if upgrade == nil {
                    field.context.error(
                        field.path, "unknown h2UpgradePolicy \"\(text)\"; expected DEFAULT, DO_NOT_UPGRADE or UPGRADE")
                }
            }
            settings.http = ConnectionPoolSettings.HTTPSettings(
                http1MaxPendingRequests: http.int("http1MaxPendingRequests", .int32),
                http2MaxRequests: http.int("http2MaxRequests", .int32),
                maxRequestsPerConnection: http.int("maxRequestsPerConnection", .int32),
                maxRetries: http.int("maxRetries", .int32),
                idleTimeout: http.goDuration("idleTimeout"), h2UpgradePolicy: upgrade,
                useClientProtocol: http.bool("useClientProtocol") ?? false,
                maxConcurrentStreams: http.int("maxConcurrentStreams", .int32))
        }
        return settings
    }

    /// `outlierDetection`. The deprecated `consecutiveErrors` is not used by istiod either, so it is reported.
    static func decodeOutlierDetection(_ outlier: YAMLMapping) -> OutlierDetection {
        outlier.warnUnsupported(
            handled: [
                "consecutive5xxErrors", "consecutiveGatewayErrors", "consecutiveLocalOriginFailures",
                "splitExternalLocalOriginErrors", "interval", "baseEjectionTime", "maxEjectionPercent",
                "minHealthPercent",
            ])
        return OutlierDetection(
            consecutive5xxErrors: outlier.int("consecutive5xxErrors", .uint32),
            consecutiveGatewayErrors: outlier.int("consecutiveGatewayErrors", .uint32),
            consecutiveLocalOriginFailures: outlier.int("consecutiveLocalOriginFailures", .uint32),
            splitExternalLocalOriginErrors: outlier.bool("splitExternalLocalOriginErrors") ?? false,
            interval: outlier.goDuration("interval"), baseEjectionTime: outlier.goDuration("baseEjectionTime"),
            maxEjectionPercent: outlier.int("maxEjectionPercent", .int32),
            minHealthPercent: outlier.int("minHealthPercent", .int32) ?? 0)
    }

    /// `trafficPolicy.tls` of a DestinationRule. `caCrl` is reported as not supported.
    static func decodeClientTLS(_ tls: YAMLMapping) -> ClientTLSSettings? {
        tls.warnUnsupported(
            handled: [
                "mode", "clientCertificate", "privateKey", "caCertificates", "sni", "subjectAltNames",
                "insecureSkipVerify", "credentialName",
            ])
        guard let field = tls["mode"], let text = field.string() else {
            tls.context.error(tls.path.appendingField("mode"), "required")
            return nil
        }
        guard let mode = ClientTLSSettings.Mode(rawValue: text) else {
            field.context.error(
                field.path, "unknown TLS mode \"\(text)\"; expected DISABLE, SIMPLE, MUTUAL or ISTIO_MUTUAL")
            return nil
        }
        return ClientTLSSettings(
            mode: mode, clientCertificate: nonEmpty(tls.string("clientCertificate")),
            privateKey: nonEmpty(tls.string("privateKey")), caCertificates: nonEmpty(tls.string("caCertificates")),
            sni: nonEmpty(tls.string("sni")), subjectAltNames: tls.stringList("subjectAltNames"),
            insecureSkipVerify: tls.bool("insecureSkipVerify") ?? false,
            credentialName: nonEmpty(tls.string("credentialName")))
    }

    /// Protobuf has no unset string: an empty value means absent.
    private static func nonEmpty(_ text: String?) -> String? {
        text.flatMap { $0.isEmpty ? nil : $0 }
    }
}
