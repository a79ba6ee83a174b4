extension ConfigDecoder {
    /// `spec` of a Gateway: `selector` and `servers`.
    static func decodeGateway(meta: ObjectMeta, spec: YAMLMapping?) -> Gateway {
        guard let spec else { return Gateway(meta: meta) }
        spec.warnUnsupported(handled: ["selector", "servers"])
        let servers = spec.sequence("servers").compactMap { $0.mapping().map(decodeGatewayServer) }
        return Gateway(meta: meta, selector: spec.stringMap("selector"), servers: servers)
    }

    static func decodeGatewayServer(_ server: YAMLMapping) -> GatewayServer {
        server.warnUnsupported(handled: ["port", "bind", "hosts", "tls", "name"], ignored: [])
        var port = GatewayPort(number: 0, protocol: "", name: "")
        if let mapping = server.mapping("port") {
            mapping.warnUnsupported(handled: ["number", "protocol", "name", "targetPort"])
            port = GatewayPort(
                number: mapping.int("number", .uint32) ?? 0, protocol: mapping.string("protocol") ?? "",
                name: mapping.string("name") ?? "", targetPort: mapping.int("targetPort", .uint32))
        }
        return GatewayServer(
            port: port, bind: server.string("bind"), hosts: server.stringList("hosts"),
            tls: server.mapping("tls").map(decodeServerTLS), name: server.string("name"))
    }

    /// `tls` of a Gateway server. An unknown mode or protocol version is an error naming the accepted values.
    static func decodeServerTLS(_ tls: YAMLMapping) -> ServerTLSSettings {
        tls.warnUnsupported(handled: [
            "httpsRedirect", "mode", "serverCertificate", "privateKey", "caCertificates", "credentialName",
            "subjectAltNames", "verifyCertificateSpki", "verifyCertificateHash", "minProtocolVersion",
            "maxProtocolVersion", "cipherSuites",
        ])
        var settings = ServerTLSSettings(
            httpsRedirect: tls.bool("httpsRedirect") ?? false, serverCertificate: tls.string("serverCertificate"),
            privateKey: tls.string("privateKey"), caCertificates: tls.string("caCertificates"),
            credentialName: tls.string("credentialName"), subjectAltNames: tls.stringList("subjectAltNames"),
            verifyCertificateSpki: tls.stringList("verifyCertificateSpki"),
            verifyCertificateHash: tls.stringList("verifyCertificateHash"),
            cipherSuites: tls.stringList("cipherSuites"))
        if let field = tls["mode"], let text = field.string() {
            if let mode = ServerTLSSettings.Mode(rawValue: text) {
                settings.mode = mode
                if mode == .autoPassthrough {
                    field.context.warning(
                        field.path, "AUTO_PASSTHROUGH is not supported by meshd yet; the server gets no filter chains")
                }
            } else {
                let accepted = ServerTLSSettings.Mode.allCases.map(\.rawValue).joined(separator: ", ")
                field.context.error(field.path, "unknown TLS mode \"\(text)\"; expected one of \(accepted)")
            }
        }
        settings.minProtocolVersion = protocolVersion(tls["minProtocolVersion"])
        settings.maxProtocolVersion = protocolVersion(tls["maxProtocolVersion"])
        return settings
    }

    static func protocolVersion(_ field: YAMLField?) -> ServerTLSSettings.ProtocolVersion? {
        guard let field, let text = field.string() else { return nil }
        guard let version = ServerTLSSettings.ProtocolVersion(rawValue: text) else {
            let accepted = ServerTLSSettings.ProtocolVersion.allCases.map(\.rawValue).joined(separator: ", ")
            field.context.error(field.path, "unknown TLS protocol version \"\(text)\"; expected one of \(accepted)")
            return nil
        }
        return version
    }
}
