extension ConfigDecoder {
    /// Kubernetes `v1` Service. Fields that do not affect mesh routing (`type`, `sessionAffinity`, ...) are ignored
    /// silently; `externalName` is reported because it changes where traffic goes.
    static func decodeService(meta: ObjectMeta, spec: YAMLMapping?) -> KubernetesService {
        guard let spec else { return KubernetesService(meta: meta, ports: []) }
        if spec.string("type") == "ExternalName" || spec.contains("externalName") {
            spec.context.warning("spec.externalName", "ExternalName services are not supported by meshd yet; ignored")
        }
        let ports = spec.sequence("ports").compactMap { item -> ServicePort? in
            guard let port = item.mapping() else { return nil }
            return ServicePort(
                name: port.string("name"), port: port.int("port") ?? 0, targetPort: decodeTargetPort(port["targetPort"]),
                transportProtocol: port.string("protocol") ?? "TCP", appProtocol: port.string("appProtocol"))
        }
        return KubernetesService(
            meta: meta, ports: ports, selector: spec.stringMap("selector"), clusterIP: spec.string("clusterIP"))
    }

    /// `targetPort` is an int-or-string: digits are a port number, anything else a container port name.
    static func decodeTargetPort(_ field: YAMLField?) -> TargetPort? {
        guard let text = field?.string() else { return nil }
        if let number = Int(text) { return .number(number) }
        return .name(text)
    }

    /// Kubernetes `v1` Pod: `status.podIP`, `spec.serviceAccountName` and named container ports. Everything else
    /// about a Pod (images, volumes, ...) is none of the mesh's business and is ignored silently.
    static func decodePod(meta: ObjectMeta, spec: YAMLMapping?, status: YAMLMapping?) -> Pod {
        var namedPorts: [String: Int] = [:]
        for container in spec?.sequence("containers") ?? [] {
            for item in container.mapping()?.sequence("ports") ?? [] {
                guard let port = item.mapping(), let name = port.string("name"), let number = port.int("containerPort")
                else { continue }
                namedPorts[name] = number
            }
        }
        let serviceAccount = spec?.string("serviceAccountName") ?? spec?.string("serviceAccount") ?? "default"
        return Pod(meta: meta, podIP: status?.string("podIP"), serviceAccountName: serviceAccount, namedPorts: namedPorts)
    }
}
