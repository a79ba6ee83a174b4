extension ConfigDecoder {
    static func decodeVirtualService(meta: ObjectMeta, spec: YAMLMapping?) -> VirtualService {
        guard let spec else { return VirtualService(meta: meta, hosts: []) }
        spec.warnUnsupported(handled: ["hosts", "gateways", "exportTo", "http", "tcp", "tls"])
        let http = spec.sequence("http").compactMap { $0.mapping().flatMap(decodeHTTPRoute) }
        warnUnreachableHTTPRules(http, in: spec)
        var service = VirtualService(
            meta: meta, hosts: spec.stringList("hosts"), gateways: spec.stringList("gateways"),
            exportTo: spec.stringList("exportTo"), http: http)
        service.tcp = spec.sequence("tcp").compactMap { $0.mapping().map(decodeTCPRoute) }
        service.tls = spec.sequence("tls").compactMap { $0.mapping().map(decodeTLSRoute) }
        return service
    }

    /// `destination`: host, subset and port (`port.number`).
    static func decodeDestination(_ destination: YAMLMapping) -> Destination {
        destination.warnUnsupported(handled: ["host", "subset", "port"])
        var port: Int?
        if let portMapping = destination.mapping("port") {
            portMapping.warnUnsupported(handled: ["number"])
            port = portMapping.int("number", .uint32)
        }
        return Destination(host: destination.string("host") ?? "", subset: destination.string("subset"), port: port)
    }
}
