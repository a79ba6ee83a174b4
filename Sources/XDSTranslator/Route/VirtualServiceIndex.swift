import MeshModel

/// The VirtualServices that apply to this proxy's outbound traffic, looked up by service hostname.
///
/// A VirtualService applies when it binds the `mesh` gateway (no gateways means `mesh`) and is exported to the
/// proxy's namespace. An exact host wins over a wildcard host (`*.example.com`); among wildcards the longest
/// wins. When several apply to one host, the first in the snapshot's order wins, as Istio picks the oldest
/// for sidecars instead of merging.
struct VirtualServiceIndex {
    private let byHost: [String: VirtualService]
    /// Wildcard hosts (`*.example.com`), longest first.
    private let wildcards: [(suffix: String, virtualService: VirtualService)]

    init(_ context: GenerationContext<some ProxyInputs>) {
        var byHost: [String: VirtualService] = [:]
        for (host, candidates) in context.snapshot.virtualServicesByHost {
            let applicable = candidates.first { virtualService in
                (virtualService.gateways.isEmpty || virtualService.gateways.contains("mesh"))
                    && ExportVisibility.isVisible(
                        exportTo: virtualService.exportTo, objectNamespace: virtualService.meta.namespace,
                        to: context.inputs.namespace)
                    && context.sidecarScope.imports(virtualService)
            }
            if let applicable { byHost[host] = applicable }
        }
        self.byHost = byHost
        self.wildcards = byHost.filter { $0.key.hasPrefix("*") }
            .map { (suffix: String($0.key.dropFirst()), virtualService: $0.value) }
            .sorted { ($0.suffix.count, $1.suffix) > ($1.suffix.count, $0.suffix) }
    }

    func first(for hostname: String) -> VirtualService? {
        if let exact = byHost[hostname] { return exact }
        return wildcards.first { hostname.hasSuffix($0.suffix) }?.virtualService
    }
}
