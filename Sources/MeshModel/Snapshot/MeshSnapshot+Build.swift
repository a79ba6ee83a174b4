extension MeshSnapshot {
    /// Builds the indexed snapshot of a set of objects. Pure and deterministic: the same objects, in any order, give
    /// an equal snapshot with the same version.
    ///
    /// When two objects share a key, the one from the earliest source (file, document) is used. When a Kubernetes
    /// Service and a ServiceEntry declare the same hostname, the Kubernetes Service wins; between ServiceEntries,
    /// the first by namespace and name. A Kubernetes Service with EndpointSlices takes its endpoints from them
    /// (ready endpoints only); one without takes them from its selector over Pods and WorkloadEntries.
    public static func build(from objects: [ConfigObject]) -> MeshSnapshot {
        build(hashed: objects.map(HashedConfigObject.init))
    }

    /// `build(from:)` over objects whose content hashes were computed when they were stored (see `ConfigStore`).
    public static func build(hashed hashedObjects: [HashedConfigObject]) -> MeshSnapshot {
        build(hashed: hashedObjects, meshConfig: .default)
    }

    /// `build(hashed:)` under a mesh config: it is placed in the snapshot, and a mesh config other than istiod's
    /// defaults takes part in the version, so that changing it publishes a new snapshot and pushes.
    public static func build(hashed hashedObjects: [HashedConfigObject], meshConfig: MeshConfig) -> MeshSnapshot {
        let hashedByKey = uniqueObjects(hashedObjects)
        let byKey = hashedByKey.mapValues(\.object)
        let resources = byKey.keys.sorted().compactMap { byKey[$0]?.resource }
        var inputs = SnapshotInputs()
        for resource in resources {
            switch resource {
            case .service(let service): inputs.services.append(service)
            case .pod(let pod): inputs.pods.append(pod)
            case .workloadEntry(let entry): inputs.workloadEntries.append(entry)
            case .serviceEntry(let entry): inputs.serviceEntries.append(entry)
            case .virtualService(let service): inputs.virtualServices.append(service)
            case .destinationRule(let rule): inputs.destinationRules.append(rule)
            case .peerAuthentication(let policy): inputs.peerAuthentications.append(policy)
            case .endpointSlice(let slice): inputs.endpointSlices.append(slice)
            case .sidecar(let sidecar): inputs.sidecars.append(sidecar)
            case .gateway(let gateway): inputs.gateways.append(gateway)
            case .secret(let secret): inputs.secrets.append(secret)
            case .authorizationPolicy(let policy): inputs.authorizationPolicies.append(policy)
            case .requestAuthentication(let policy): inputs.requestAuthentications.append(policy)
            case .telemetry(let telemetry): inputs.telemetries.append(telemetry)
            case .envoyFilter(let filter): inputs.envoyFilters.append(filter)
            case .proxyConfig(let config): inputs.proxyConfigs.append(config)
            case .workloadGroup(let group): inputs.workloadGroups.append(group)
            case .node(let node): inputs.nodes[node.meta.name] = node
            }
        }

        var services: [MeshService] = []
        var endpoints: [String: [Int: [MeshEndpoint]]] = [:]
        var taken: Set<String> = []
        let slicesByService = inputs.endpointSlicesByService()
        let podsByKey = slicesByService.isEmpty ? [:] : inputs.podsByKey()
        let workloadIndex = inputs.workloadIndex()
        for service in inputs.services {
            let meshService = meshService(for: service)
            guard taken.insert(meshService.hostname).inserted else { continue }
            services.append(meshService)
            // A Service with EndpointSlices takes its endpoints from them, as kube-proxy does; else from its selector.
            if let slices = slicesByService["\(service.meta.namespace)/\(service.meta.name)"] {
                endpoints[meshService.hostname] = inputs.endpoints(for: service, slices: slices, pods: podsByKey)
            } else {
                endpoints[meshService.hostname] = inputs.endpoints(for: service, index: workloadIndex)
            }
        }
        for entry in inputs.serviceEntries {
            let entryEndpoints = inputs.endpoints(for: entry, index: workloadIndex)
            for host in entry.hosts {
                let meshService = meshService(for: entry, host: host)
                guard taken.insert(host).inserted else { continue }
                services.append(meshService)
                endpoints[host] = entryEndpoints[host] ?? [:]
            }
        }

        var snapshot = MeshSnapshot(
            version: contentVersion(of: hashedByKey, meshConfig: meshConfig), services: services, endpoints: endpoints,
            workloads: inputs.workloads(), virtualServicesByHost: index(inputs.virtualServices),
            destinationRulesByHost: index(inputs.destinationRules),
            peerAuthentications: index(inputs.peerAuthentications), sidecars: index(inputs.sidecars), objects: byKey)
        snapshot.indexGateways(inputs.gateways, secrets: inputs.secrets)
        snapshot.apply(meshConfig: meshConfig)
        snapshot.indexSecurityPolicies(
            authorization: inputs.authorizationPolicies, requestAuthentication: inputs.requestAuthentications)
        snapshot.telemetries = index(inputs.telemetries)
        snapshot.envoyFilters = index(inputs.envoyFilters)
        snapshot.proxyConfigs = index(inputs.proxyConfigs)
        snapshot.workloadGroups = index(inputs.workloadGroups)
        return snapshot
    }

    /// One object per key, preferring the earliest source so the choice does not depend on input order.
    static func uniqueObjects(_ objects: [HashedConfigObject]) -> [ResourceKey: HashedConfigObject] {
        var byKey: [ResourceKey: HashedConfigObject] = [:]
        for object in objects {
            if let existing = byKey[object.key], !isEarlier(object.object.source, than: existing.object.source) {
                continue
            }
            byKey[object.key] = object
        }
        return byKey
    }

    static func isEarlier(_ lhs: SourceLocation, than rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.document, lhs.line ?? 0) < (rhs.file, rhs.document, rhs.line ?? 0)
    }

    static func meshService(for service: KubernetesService) -> MeshService {
        let ports = service.ports.map { port in
            MeshServicePort(
                name: port.name ?? "", port: port.port,
                protocol: ServiceProtocol.kubernetes(name: port.name, appProtocol: port.appProtocol))
        }
        let addresses = service.clusterIP.flatMap { $0.isEmpty || $0 == "None" ? nil : [$0] } ?? []
        var result = MeshService(
            hostname: Hostname.kubernetes(name: service.meta.name, namespace: service.meta.namespace),
            namespace: service.meta.namespace, shortName: service.meta.name, addresses: addresses, ports: ports,
            resolution: .endpoints, meshExternal: false,
            origin: ResourceKey(kind: .service, namespace: service.meta.namespace, name: service.meta.name))
        result.prefersClose = service.prefersClose
        return result
    }

    static func meshService(for entry: ServiceEntry, host: String) -> MeshService {
        let ports = entry.ports.map { port in
            MeshServicePort(name: port.name, port: port.number, protocol: ServiceProtocol.serviceEntry(port.protocol))
        }
        let resolution: MeshResolution =
            switch entry.resolution {
            case .staticAddresses: .endpoints
            case .dns: .dns
            case .dnsRoundRobin: .dnsRoundRobin
            case .none: .passthrough
            // Until the translator builds a dynamic forward proxy cluster, traffic goes where the client resolved.
            case .dynamicDNS: .passthrough
            }
        var service = MeshService(
            hostname: host, namespace: entry.meta.namespace, shortName: nil, addresses: entry.addresses, ports: ports,
            resolution: resolution, meshExternal: entry.location == .meshExternal,
            origin: ResourceKey(kind: .serviceEntry, namespace: entry.meta.namespace, name: entry.meta.name))
        service.subjectAltNames = entry.subjectAltNames
        service.exportTo = entry.exportTo
        return service
    }

    /// VirtualServices or DestinationRules by the FQDN of each host, each list ordered by namespace then name.
    static func index(_ services: [VirtualService]) -> [String: [VirtualService]] {
        var result: [String: [VirtualService]] = [:]
        for service in services.sorted(by: { ($0.meta.namespace, $0.meta.name) < ($1.meta.namespace, $1.meta.name) }) {
            var seen: Set<String> = []
            for host in service.hosts {
                let fqdn = Hostname.resolve(host, namespace: service.meta.namespace)
                if seen.insert(fqdn).inserted { result[fqdn, default: []].append(service) }
            }
        }
        return result
    }

    static func index(_ rules: [DestinationRule]) -> [String: [DestinationRule]] {
        var result: [String: [DestinationRule]] = [:]
        for rule in rules.sorted(by: { ($0.meta.namespace, $0.meta.name) < ($1.meta.namespace, $1.meta.name) }) {
            result[Hostname.resolve(rule.host, namespace: rule.meta.namespace), default: []].append(rule)
        }
        return result
    }
}
