import MeshModel

/// What one sidecar proxy imports, as its Istio `Sidecar` decides: the services (and their ports) it gets
/// clusters, endpoints, listeners and routes for, the VirtualServices that shape those routes, its inbound
/// ports, and its outbound traffic policy.
///
/// Without a Sidecar (and for gateways, which Sidecars never configure) the proxy imports everything, as before.
/// With one, a service is imported when an egress listener's `namespace/host` names it and none of that
/// listener's `~namespace/host` exclusions does; a listener with a port imports only that port of each service. The destinations of imported VirtualServices are imported too, on
/// the ports the routes name, as istiod does so that routes never point at clusters the proxy lacks.
struct SidecarScope: Sendable {
    /// The Sidecar in force; nil when none applies.
    let sidecar: Sidecar?
    /// REGISTRY_ONLY or ALLOW_ANY: the Sidecar's, else the mesh-wide setting.
    let outboundTrafficPolicy: OutboundTrafficPolicyMode
    /// Imported services by hostname, with their ports trimmed; nil when everything is imported.
    private let imported: [String: MeshService]?
    private let egress: [EgressImport]

    /// The scope of a proxy that imports everything.
    static let everything = SidecarScope(sidecar: nil, policy: .allowAny, imported: nil, egress: [])

    private init(
        sidecar: Sidecar?, policy: OutboundTrafficPolicyMode, imported: [String: MeshService]?,
        egress: [EgressImport]
    ) {
        self.sidecar = sidecar
        self.outboundTrafficPolicy = policy
        self.imported = imported
        self.egress = egress
    }

    /// The scope of the proxy `context` generates for, under the mesh-wide `settings`.
    init(snapshot: MeshSnapshot, inputs: some ProxyInputs, settings: TranslatorSettings) {
        let sidecar = inputs.kind != .router ? inputs.sidecar?.resource : nil
        // The mesh config's mode (the store folds `--outbound-traffic-policy` into it) follows live changes.
        let policy =
            sidecar?.outboundTrafficPolicy ?? snapshot.meshConfig.outboundTrafficPolicy
            ?? settings.outboundTrafficPolicy
        guard let sidecar, !sidecar.egress.isEmpty else {
            self.init(sidecar: sidecar, policy: policy, imported: nil, egress: [])
            return
        }
        let egress = sidecar.egress.map { EgressImport($0, sidecarNamespace: sidecar.meta.namespace) }
        var imported: [String: MeshService] = [:]
        for listener in egress {
            for service in snapshot.services {
                guard let trimmed = listener.importing(service) else { continue }
                imported[service.hostname] = Self.merged(imported[service.hostname], trimmed)
            }
        }
        // Destinations of the imported VirtualServices, on the ports their routes name (all when one names none).
        let importedVirtualServices = Self.virtualServices(snapshot).filter { virtualService in
            egress.contains { $0.imports(virtualService) }
        }
        for virtualService in importedVirtualServices {
            var portsByHost: [String: Set<Int>] = [:]
            var everyPort: Set<String> = []
            for destination in Self.destinations(of: virtualService) {
                let host = Hostname.resolve(destination.host, namespace: virtualService.meta.namespace)
                if let port = destination.port {
                    portsByHost[host, default: []].insert(port)
                } else {
                    everyPort.insert(host)
                }
            }
            for host in Set(portsByHost.keys).union(everyPort).sorted() {
                guard var service = snapshot.servicesByHostname[host] else { continue }
                if !everyPort.contains(host) {
                    let ports = portsByHost[host] ?? []
                    service.ports = service.ports.filter { ports.contains($0.port) }
                }
                guard !service.ports.isEmpty else { continue }
                imported[host] = Self.merged(imported[host], service)
            }
        }
        // The services of the mesh config's ext_authz providers, on the provider's port: CUSTOM policies call their
        // outbound cluster, which must exist whatever the Sidecar imports (or Envoy refuses the listener).
        for provider in snapshot.meshConfig.extensionProviders {
            let target: (hostname: String, port: Int)?
            if let telemetry = provider.kind.telemetryTarget {
                // Span reports and access log entries go to the collector's outbound cluster, which must exist
                // whatever the Sidecar imports.
                target = ResolvedTracer.resolve(service: telemetry.service, port: telemetry.port, in: snapshot)
                    .map { ($0.hostname, $0.port) }
            } else if case .success(let resolved) = ResolvedExtAuthz.resolve(provider, in: snapshot) {
                target = (resolved.hostname, resolved.port)
            } else {
                target = nil
            }
            guard let target, var service = snapshot.servicesByHostname[target.hostname] else { continue }
            service.ports = service.ports.filter { $0.port == target.port }
            imported[service.hostname] = Self.merged(imported[service.hostname], service)
        }
        self.init(sidecar: sidecar, policy: policy, imported: imported, egress: egress)
    }

    /// The services of `all` this proxy imports, in their order, ports trimmed to the imported ones.
    func services(_ all: [MeshService]) -> [MeshService] {
        guard let imported else { return all }
        return all.compactMap { imported[$0.hostname] }
    }

    /// True when a VirtualService shapes this proxy's routes: some egress listener imports one of its hosts.
    func imports(_ virtualService: VirtualService) -> Bool {
        guard imported != nil else { return true }
        return egress.contains { $0.imports(virtualService) }
    }

    /// The Sidecar's ingress listeners that have a port, when it declares any; nil means the inbound ports come
    /// from the services the proxy's own workload serves.
    var ingress: [SidecarIngressListener]? {
        guard let sidecar, !sidecar.ingress.isEmpty else { return nil }
        return sidecar.ingress.filter { $0.port != nil }
    }

    /// The union of two imports of one service (two listeners on different ports), ports sorted.
    private static func merged(_ existing: MeshService?, _ addition: MeshService) -> MeshService {
        guard var result = existing else { return addition }
        for port in addition.ports where result.port(port.port) == nil { result.ports.append(port) }
        result.ports.sort { $0.port < $1.port }
        return result
    }

    private static func virtualServices(_ snapshot: MeshSnapshot) -> [VirtualService] {
        var seen = Set<ResourceKey>()
        return snapshot.virtualServicesByHost.keys.sorted().flatMap {
            snapshot.virtualServicesByHost[$0] ?? []
        }
        .filter {
            seen.insert(
                ResourceKey(kind: .virtualService, namespace: $0.meta.namespace, name: $0.meta.name)
            ).inserted
        }
    }

    private static func destinations(of virtualService: VirtualService) -> [Destination] {
        var result: [Destination] = []
        for route in virtualService.http {
            result += route.route.map(\.destination)
            if let mirror = route.mirror { result.append(mirror) }
        }
        for route in virtualService.tcp { result += route.route.map(\.destination) }
        for route in virtualService.tls { result += route.route.map(\.destination) }
        return result
    }
}

/// One egress listener's imports: hosts by namespace (`*` for any, the Sidecar's own for `.`; `~/host` imports
/// nothing), less the hosts its `~namespace/host` entries exclude, and the port it restricts services to.
///
/// Exclusions use the include rules (namespace `*`, `.` or a name; host `*`, a wildcard or a name) and win over
/// every include of the same listener, whatever the order the entries are written in.
private struct EgressImport: Sendable {
    let hostsByNamespace: [String: [String]]
    /// `~namespace/host` entries by the namespace after the `~` (`*` for any, the Sidecar's own for `.`).
    let excludedByNamespace: [String: [String]]
    /// The listener's port when services must have it (not for port 0 sockets or HTTP_PROXY listeners).
    let port: Int?

    init(_ listener: SidecarEgressListener, sidecarNamespace: String) {
        var hosts: [String: [String]] = [:]
        var excluded: [String: [String]] = [:]
        for entry in listener.hosts {
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(
                String.init)
            guard parts.count == 2, parts[0] != "~" else { continue }
            if parts[0].hasPrefix("~") {
                let namespace = String(parts[0].dropFirst())
                excluded[namespace == "." ? sidecarNamespace : namespace, default: []].append(parts[1])
            } else {
                hosts[parts[0] == "." ? sidecarNamespace : parts[0], default: []].append(parts[1])
            }
        }
        hostsByNamespace = hosts
        excludedByNamespace = excluded
        if let port = listener.port, port.number != 0, port.protocol.uppercased() != "HTTP_PROXY" {
            self.port = port.number
        } else {
            self.port = nil
        }
    }

    /// `service` as this listener imports it (trimmed to the listener's port), or nil.
    func importing(_ service: MeshService) -> MeshService? {
        guard selects(service.hostname, namespace: service.namespace) else { return nil }
        guard let port else { return service }
        guard let servicePort = service.port(port) else { return nil }
        var trimmed = service
        trimmed.ports = [servicePort]
        return trimmed
    }

    /// True when one of the VirtualService's hosts (as FQDNs) is imported from its namespace or from `*`.
    func imports(_ virtualService: VirtualService) -> Bool {
        virtualService.hosts.contains { written in
            selects(
                Hostname.resolve(written, namespace: virtualService.meta.namespace),
                namespace: virtualService.meta.namespace)
        }
    }

    /// True when an include names `host` of `namespace` and no exclusion does.
    private func selects(_ host: String, namespace: String) -> Bool {
        func matches(_ table: [String: [String]]) -> Bool {
            ((table[namespace] ?? []) + (table["*"] ?? [])).contains { HostMatch.overlaps($0, host) }
        }
        return matches(hostsByNamespace) && !matches(excludedByNamespace)
    }
}

/// Istio's host matching: two names match when equal, or when one is a wildcard (`*.example.com`, `*`) whose
/// suffix covers the other (for two wildcards, the longer suffix is covered by the shorter).
enum HostMatch {
    static func overlaps(_ lhs: String, _ rhs: String) -> Bool {
        let lhsWildcard = lhs.hasPrefix("*")
        let rhsWildcard = rhs.hasPrefix("*")
        switch (lhsWildcard, rhsWildcard) {
        case (true, true):
            let (short, long) = lhs.count < rhs.count ? (lhs, rhs) : (rhs, lhs)
            return long.dropFirst().hasSuffix(short.dropFirst())
        case (true, false): return rhs.hasSuffix(lhs.dropFirst())
        case (false, true): return lhs.hasSuffix(rhs.dropFirst())
        case (false, false): return lhs.lowercased() == rhs.lowercased()
        }
    }
}

extension GenerationContext {
    /// The services this proxy imports (all without a Sidecar), sorted by hostname, ports trimmed; a ServiceEntry's
    /// hosts only where its `exportTo` reaches the proxy's namespace.
    var visibleServices: [MeshService] { visibleServices(hostnames: nil) }

    /// `visibleServices`, narrowed to the services of `hostnames` (all when nil) before anything else is done with
    /// them: an endpoint change of one service must not cost a pass over every service of the mesh. The services are
    /// looked up by hostname (a snapshot has one service per hostname) and kept in the snapshot's hostname order. Both
    /// the Sidecar's import and `exportTo` judge each service on its own, so narrowing first gives the same services,
    /// in the same order, as narrowing the whole list.
    func visibleServices(hostnames: Set<String>?) -> [MeshService] {
        let candidates = hostnames.map { wanted in
            wanted.compactMap { snapshot.servicesByHostname[$0] }.sorted { $0.hostname < $1.hostname }
        }
        return sidecarScope.services(candidates ?? snapshot.services).filter {
            ExportVisibility.isVisible(
                exportTo: $0.exportTo, objectNamespace: $0.namespace, to: inputs.namespace)
        }
    }

    /// The ports this proxy's virtualInbound listener serves: the Sidecar's ingress ports when it declares any,
    /// else those of the services its own workload serves.
}

/// Inputs that carry the ports of the proxy's own workload.
protocol InboundInputs: ProxyInputs {
    var inbound: [InboundPort] { get }
}

extension ClusterInputs: InboundInputs {}
extension ListenerInputs: InboundInputs {}

extension GenerationContext where Inputs: InboundInputs {
    var inboundPorts: [InboundPort] {
        guard let ingress = sidecarScope.ingress else { return inputs.inbound }
        return ingress.compactMap { listener in
            listener.port.map {
                InboundPort(port: $0.number, protocol: ServiceProtocol.serviceEntry($0.protocol))
            }
        }
    }
}
