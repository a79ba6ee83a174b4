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
                name: port.string("name"), port: port.int("port", .int32) ?? 0,
                targetPort: decodeTargetPort(port["targetPort"]),
                transportProtocol: port.string("protocol") ?? "TCP", appProtocol: port.string("appProtocol"))
        }
        return KubernetesService(
            meta: meta, ports: ports, selector: spec.stringMap("selector"), clusterIP: spec.string("clusterIP"),
            prefersClose: decodeTrafficDistribution(meta: meta, spec: spec))
    }

    /// `spec.trafficDistribution`, else Istio's `networking.istio.io/traffic-distribution` annotation: `PreferClose`
    /// and its newer name `PreferSameZone` prefer close endpoints. `PreferSameNode` is warned about (meshd does not
    /// model node names for clients yet) and, like any other value Kubernetes does not know, changes nothing.
    static func decodeTrafficDistribution(meta: ObjectMeta, spec: YAMLMapping) -> Bool {
        let field = spec["trafficDistribution"]
        let value = field?.string() ?? meta.annotations[KubernetesService.trafficDistributionAnnotation]
        switch value {
        case "PreferClose", "PreferSameZone": return true
        case "PreferSameNode":
            spec.context.warning(
                field?.path ?? "metadata.annotations[\(KubernetesService.trafficDistributionAnnotation)]",
                "PreferSameNode is not supported by meshd yet (clients carry no node name); ignored")
            return false
        default: return false
        }
    }

    /// `targetPort` is an int-or-string: digits are a port number (an int32, as Kubernetes decodes it), anything
    /// else a container port name.
    static func decodeTargetPort(_ field: YAMLField?) -> TargetPort? {
        guard let field, let text = field.string() else { return nil }
        let digits = text.drop { $0 == "-" }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else { return .name(text) }
        return field.int(.int32).map { .number($0) }
    }

    /// Kubernetes `v1` Pod: `status.podIP`, `spec.serviceAccountName` and named container ports. Everything else
    /// about a Pod (images, volumes, ...) is none of the mesh's business and is ignored silently.
    static func decodePod(meta: ObjectMeta, spec: YAMLMapping?, status: YAMLMapping?) -> Pod {
        var namedPorts: [String: Int] = [:]
        for container in spec?.sequence("containers") ?? [] {
            for item in container.mapping()?.sequence("ports") ?? [] {
                guard let port = item.mapping(), let name = port.string("name"),
                    let field = port["containerPort"], let number = field.int(.int32)
                else { continue }
                // Kubernetes' rule; a named port becomes a Service's target port, so it must be a real one.
                guard (1...65535).contains(number) else {
                    field.context.error(field.path, "port \(number) is out of range 1-65535", node: field.node)
                    continue
                }
                namedPorts[name] = number
            }
        }
        let serviceAccount = spec?.string("serviceAccountName") ?? spec?.string("serviceAccount") ?? "default"
        return Pod(
            meta: meta, podIP: status?.string("podIP"), serviceAccountName: serviceAccount, namedPorts: namedPorts,
            nodeName: spec?.string("nodeName").flatMap { $0.isEmpty ? nil : $0 })
    }
}
