public import Foundation

/// A deterministic synthetic mesh: namespaces, Services, WorkloadEntries with versions, DestinationRules with
/// subsets and VirtualServices with header matches and weighted splits.
///
/// Everything derives from the three sizes, so a load run can rebuild the same workload list (for proxy
/// identities) without reading the YAML back. Addresses are configuration only: nothing ever connects to them.
public struct SyntheticMesh: Sendable {
    public let services: Int
    public let endpointsPerService: Int
    public let namespaces: Int
    /// Every service's files apart (`serviceFile`, `workloadFile`) instead of bundles per namespace: for the churn
    /// run, which rewrites many services' workloads, one small file each.
    public let filePerService: Bool

    public init(services: Int, endpointsPerService: Int, namespaces: Int, filePerService: Bool = false) {
        self.services = services
        self.endpointsPerService = endpointsPerService
        self.namespaces = namespaces
        self.filePerService = filePerService
    }

    /// Every `vsEvery`-th service has a VirtualService; every `drEvery`-th has a DestinationRule (all with a VS do).
    public static let vsEvery = 4
    public static let drEvery = 2
    public static let port = 9080

    /// One workload (a WorkloadEntry) of the mesh.
    public struct Workload: Sendable {
        public let name: String
        public let namespace: String
        public let app: String
        public let version: String
        public let address: String
        public let serviceAccount: String
    }

    public func namespace(ofService index: Int) -> String { "ns-\(index % max(namespaces, 1))" }
    public func serviceName(_ index: Int) -> String { "svc-\(index)" }
    public func version(ofEndpoint index: Int) -> String { "v\(index % 3 + 1)" }
    public func hasVirtualService(_ index: Int) -> Bool { index % Self.vsEvery == 0 }
    public func hasDestinationRule(_ index: Int) -> Bool { index % Self.drEvery == 0 }

    /// The address of endpoint `endpoint` of service `service` (10.64.0.0/10: configuration only).
    public func address(service: Int, endpoint: Int) -> String {
        let n = service * endpointsPerService + endpoint
        return "10.\(64 + (n >> 16) % 64).\((n >> 8) & 0xff).\(n & 0xff)"
    }

    public func workload(service: Int, endpoint: Int) -> Workload {
        let app = serviceName(service)
        return Workload(
            name: "\(app)-\(endpoint)", namespace: namespace(ofService: service), app: app,
            version: version(ofEndpoint: endpoint), address: address(service: service, endpoint: endpoint),
            serviceAccount: app)
    }

    /// The `index`-th workload, cycling through every service's endpoints.
    public func workload(at index: Int) -> Workload {
        let total = max(services * endpointsPerService, 1)
        let n = index % total
        return workload(service: n / max(endpointsPerService, 1), endpoint: n % max(endpointsPerService, 1))
    }

    /// File name (relative to the output directory) → YAML.
    ///
    /// Services are bundled per namespace (`ns-N/services.yaml`, `ns-N/workloads.yaml`), as a kubectl dump would be,
    /// except the two that load runs change (the first service's, the last service's workloads), which get files of
    /// their own so a change rewrites one small file (every service does with `filePerService`).
    public func files() -> [(String, String)] {
        var bundles: [String: [String]] = [:]
        var files: [(String, String)] = []
        for index in 0..<services {
            let ns = namespace(ofService: index)
            let service = serviceYAML(index, weight: 90)
            let workloads = workloadsYAML(index, generation: 0)
            if isSeparate(index) {
                files.append((serviceFile(index), service))
                files.append((workloadFile(index), workloads))
            } else {
                bundles["\(ns)/services.yaml", default: []].append(service)
                bundles["\(ns)/workloads.yaml", default: []].append(workloads)
            }
        }
        for (path, parts) in bundles.sorted(by: { $0.key < $1.key }) {
            files.append((path, parts.joined(separator: "---\n")))
        }
        return files
    }

    public func serviceFile(_ index: Int) -> String { "\(namespace(ofService: index))/\(serviceName(index)).yaml" }
    public func workloadFile(_ index: Int) -> String {
        "\(namespace(ofService: index))/\(serviceName(index))-workloads.yaml"
    }

    /// The services whose files a load run rewrites.
    func isSeparate(_ index: Int) -> Bool { filePerService || index == 0 || index == services - 1 }

    /// The Service, and its DestinationRule and VirtualService if it has them. `weight` is v1's share of the split.
    public func serviceYAML(_ index: Int, weight: Int) -> String {
        let name = serviceName(index)
        let ns = namespace(ofService: index)
        let clusterIP = "10.96.\(index >> 8 & 0xff).\(index & 0xff)"
        var yaml = """
            apiVersion: v1
            kind: Service
            metadata:
              name: \(name)
              namespace: \(ns)
              labels: {app: \(name)}
            spec:
              clusterIP: \(clusterIP)
              selector: {app: \(name)}
              ports:
              - name: http
                port: \(Self.port)
                targetPort: \(Self.port)
              - name: grpc-admin
                port: 9090
                targetPort: 9090

            """
        if hasDestinationRule(index) {
            yaml += """
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata:
                  name: \(name)
                  namespace: \(ns)
                spec:
                  host: \(name).\(ns).svc.cluster.local
                  trafficPolicy:
                    loadBalancer: {simple: ROUND_ROBIN}
                  subsets:
                  - name: v1
                    labels: {version: v1}
                  - name: v2
                    labels: {version: v2}
                  - name: v3
                    labels: {version: v3}

                """
        }
        if hasVirtualService(index) {
            yaml += """
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: \(name)
                  namespace: \(ns)
                spec:
                  hosts:
                  - \(name).\(ns).svc.cluster.local
                  http:
                  - name: canary-users
                    match:
                    - headers:
                        end-user:
                          exact: tester
                    route:
                    - destination:
                        host: \(name).\(ns).svc.cluster.local
                        subset: v3
                  - name: split
                    route:
                    - destination:
                        host: \(name).\(ns).svc.cluster.local
                        subset: v1
                      weight: \(weight)
                    - destination:
                        host: \(name).\(ns).svc.cluster.local
                        subset: v2
                      weight: \(100 - weight)

                """
        }
        return yaml
    }

    /// The service's WorkloadEntries; `generation` > 0 moves the last endpoint to a new address (an endpoint change).
    public func workloadsYAML(_ index: Int, generation: Int) -> String {
        var documents: [String] = []
        for endpoint in 0..<endpointsPerService {
            let workload = workload(service: index, endpoint: endpoint)
            let address =
                endpoint == endpointsPerService - 1 && generation > 0
                ? movedAddress(service: index, generation: generation) : workload.address
            documents.append(
                """
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata:
                  name: \(workload.name)
                  namespace: \(workload.namespace)
                spec:
                  address: \(address)
                  labels: {app: \(workload.app), version: \(workload.version)}
                  serviceAccount: \(workload.serviceAccount)

                """)
        }
        return documents.joined(separator: "---\n")
    }

    /// A fresh address for a moved endpoint, outside the range the generated workloads use.
    public func movedAddress(service: Int, generation: Int) -> String {
        "10.200.\(generation % 256).\(service % 250 + 1)"
    }

    /// Writes every file under `directory`, each through a rename so a watching meshd never reads half a file.
    public func write(to directory: URL) throws -> Int {
        let files = files()
        for (path, yaml) in files {
            try Self.writeAtomically(yaml, to: directory.appendingPathComponent(path))
        }
        return files.count
    }

    public static func writeAtomically(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
}
