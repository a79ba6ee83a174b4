import MeshModel
import Testing

/// Wraps resources as objects from one file.
func objects(_ resources: [MeshResource], file: String = "mesh.yaml") -> [ConfigObject] {
    resources.enumerated().map {
        ConfigObject(resource: $1, source: MeshModel.SourceLocation(file: file, document: $0 + 1))
    }
}

func pod(
    _ name: String, ip: String?, labels: [String: String], namespace: String = "bookinfo",
    namedPorts: [String: Int] = [:]
) -> MeshResource {
    .pod(
        Pod(
            meta: ObjectMeta(name: name, namespace: namespace, labels: labels), podIP: ip,
            serviceAccountName: "sa-\(name)", namedPorts: namedPorts))
}

@Suite("MeshSnapshot.build")
struct SnapshotBuildTests {
    let reviews = MeshResource.service(
        KubernetesService(
            meta: ObjectMeta(name: "reviews", namespace: "bookinfo"),
            ports: [
                ServicePort(name: "http", port: 9080, targetPort: .name("web")),
                ServicePort(name: "grpc-admin", port: 9090, targetPort: .number(19090)),
                ServicePort(name: "metrics", port: 15020, appProtocol: "http2"),
            ],
            selector: ["app": "reviews"], clusterIP: "10.96.0.5"))

    @Test func selectorPicksPodsAndWorkloadEntriesInTheNamespace() {
        let vm = MeshResource.workloadEntry(
            WorkloadEntry(
                meta: ObjectMeta(name: "vm", namespace: "bookinfo"),
                spec: WorkloadEntrySpec(
                    address: "10.1.0.9", ports: ["http": 8081, "web": 7070], labels: ["app": "reviews"],
                    serviceAccount: "vm-sa", locality: "eu/a", weight: 5)))
        let snapshot = MeshSnapshot.build(
            from: objects([
                reviews,
                pod(
                    "reviews-1", ip: "10.0.0.2", labels: ["app": "reviews", "version": "v1"], namedPorts: ["web": 9081]),
                pod(
                    "reviews-2", ip: "10.0.0.1", labels: ["app": "reviews", "version": "v2"], namedPorts: ["web": 9082]),
                pod("no-ip", ip: nil, labels: ["app": "reviews"], namedPorts: ["web": 1]),
                pod("no-named-port", ip: "10.0.0.3", labels: ["app": "reviews"]),
                pod("other-ns", ip: "10.0.0.4", labels: ["app": "reviews"], namespace: "prod", namedPorts: ["web": 1]),
                pod("other-app", ip: "10.0.0.5", labels: ["app": "ratings"], namedPorts: ["web": 1]),
                vm,
            ]))
        let host = "reviews.bookinfo.svc.cluster.local"
        let http = snapshot.endpoints(hostname: host, port: 9080)
        // Named targetPort: each Pod's own container port; the WorkloadEntry's port named like the service port wins.
        #expect(http.map { "\($0.address):\($0.port)" } == ["10.0.0.1:9082", "10.0.0.2:9081", "10.1.0.9:8081"])
        #expect(http.first?.labels == ["app": "reviews", "version": "v2"])
        #expect(http.first?.serviceAccount == "sa-reviews-2")
        #expect(http.first?.origin == ResourceKey(kind: .pod, namespace: "bookinfo", name: "reviews-2"))
        #expect(http.last?.locality == "eu/a")
        #expect(http.last?.weight == 5)
        #expect(http.last?.serviceAccount == "vm-sa")
        let grpc = snapshot.endpoints(hostname: host, port: 9090)
        #expect(
            grpc.map { "\($0.address):\($0.port)" } == [
                "10.0.0.1:19090", "10.0.0.2:19090", "10.0.0.3:19090", "10.1.0.9:19090",
            ])
        let metrics = snapshot.endpoints(hostname: host, port: 15020)
        #expect(metrics.map(\.port) == [15020, 15020, 15020, 15020])
        #expect(snapshot.workloads.count == 6)
        #expect(!snapshot.workloads.contains { $0.origin.name == "no-ip" })
    }

    @Test func kubernetesServiceShapeAndProtocols() throws {
        let snapshot = MeshSnapshot.build(from: objects([reviews]))
        let service = try #require(snapshot.servicesByHostname["reviews.bookinfo.svc.cluster.local"])
        #expect(service.shortName == "reviews")
        #expect(service.namespace == "bookinfo")
        #expect(service.addresses == ["10.96.0.5"])
        #expect(service.resolution == .endpoints)
        #expect(!service.meshExternal)
        #expect(service.ports.map(\.protocol) == [.http, .grpc, .http2])
        #expect(service.origin == ResourceKey(kind: .service, namespace: "bookinfo", name: "reviews"))
    }

    @Test(
        arguments: [
            ("http", nil, ServiceProtocol.http), ("http-web", nil, .http), ("HTTP2-x", nil, .http2),
            ("grpc", nil, .grpc),
            ("tcp-db", nil, .tcp), ("tls-x", nil, .tls), ("https", nil, .https), ("mongo", nil, .tcp),
            ("web", nil, .tcp),
            (nil, nil, .tcp), ("tcp", "http", .http), ("x", "kubernetes.io/h2c", .http2), ("http", "tcp", .tcp),
            ("grpc-web", nil, .http2),
        ] as [(String?, String?, ServiceProtocol)])
    func protocolDerivation(name: String?, appProtocol: String?, expected: ServiceProtocol) {
        #expect(ServiceProtocol.kubernetes(name: name, appProtocol: appProtocol) == expected)
    }

    @Test func headlessServiceAndEmptySelector() throws {
        let headless = MeshResource.service(
            KubernetesService(
                meta: ObjectMeta(name: "db"), ports: [ServicePort(name: "tcp", port: 5432)], clusterIP: "None"))
        let snapshot = MeshSnapshot.build(
            from: objects([headless, pod("db-0", ip: "10.0.0.8", labels: [:], namespace: "default")]))
        let service = try #require(snapshot.servicesByHostname["db.default.svc.cluster.local"])
        #expect(service.addresses.isEmpty)
        #expect(snapshot.endpoints(hostname: "db.default.svc.cluster.local", port: 5432).isEmpty)
    }

    @Test func serviceEntryInlineEndpointsPerHost() throws {
        let entry = MeshResource.serviceEntry(
            ServiceEntry(
                meta: ObjectMeta(name: "ext", namespace: "egress"), hosts: ["a.example.com", "*.b.example.com"],
                addresses: ["240.0.0.1"],
                ports: [
                    ServiceEntryPort(number: 443, protocol: "TLS", name: "tls"),
                    ServiceEntryPort(number: 80, protocol: "http", name: "http", targetPort: 8080),
                ],
                location: .meshExternal, resolution: .staticAddresses,
                endpoints: [
                    WorkloadEntrySpec(address: "192.0.2.2", ports: ["tls": 8443]),
                    WorkloadEntrySpec(address: "192.0.2.1", labels: ["zone": "z"]),
                ]))
        let snapshot = MeshSnapshot.build(from: objects([entry]))
        #expect(snapshot.services.map(\.hostname) == ["*.b.example.com", "a.example.com"])
        let service = try #require(snapshot.servicesByHostname["a.example.com"])
        #expect(service.resolution == .endpoints)
        #expect(service.meshExternal)
        #expect(service.shortName == nil)
        #expect(service.addresses == ["240.0.0.1"])
        #expect(service.ports.map(\.protocol) == [.tls, .http])
        for host in ["a.example.com", "*.b.example.com"] {
            #expect(
                snapshot.endpoints(hostname: host, port: 443).map { "\($0.address):\($0.port)" } == [
                    "192.0.2.1:443", "192.0.2.2:8443",
                ])
            #expect(snapshot.endpoints(hostname: host, port: 80).map(\.port) == [8080, 8080])
        }
    }

    @Test func serviceEntryResolutionsAndWorkloadSelector() throws {
        let dns = MeshResource.serviceEntry(
            ServiceEntry(
                meta: ObjectMeta(name: "dns"), hosts: ["api.example.com"],
                ports: [ServiceEntryPort(number: 443, protocol: "HTTPS", name: "https")], resolution: .dns))
        let internalEntry = MeshResource.serviceEntry(
            ServiceEntry(
                meta: ObjectMeta(name: "vms"), hosts: ["vm.internal"],
                ports: [ServiceEntryPort(number: 80, protocol: "HTTP", name: "http")], location: .meshInternal,
                resolution: .staticAddresses, workloadSelector: ["app": "vm"]))
        let vm = MeshResource.workloadEntry(
            WorkloadEntry(
                meta: ObjectMeta(name: "vm1"),
                spec: WorkloadEntrySpec(address: "10.2.0.1", ports: ["http": 8000], labels: ["app": "vm"])))
        let snapshot = MeshSnapshot.build(from: objects([dns, internalEntry, vm]))
        #expect(snapshot.servicesByHostname["api.example.com"]?.resolution == .dns)
        #expect(snapshot.endpoints(hostname: "api.example.com", port: 443).map(\.address) == ["api.example.com"])
        #expect(snapshot.servicesByHostname["vm.internal"]?.meshExternal == false)
        #expect(
            snapshot.endpoints(hostname: "vm.internal", port: 80).map { "\($0.address):\($0.port)" } == [
                "10.2.0.1:8000"
            ])
    }

    @Test func routingIndexesResolveHostsInTheirNamespace() {
        let vsA = MeshResource.virtualService(
            VirtualService(
                meta: ObjectMeta(name: "b", namespace: "bookinfo"),
                hosts: ["reviews", "reviews.bookinfo.svc.cluster.local"]))
        let vsB = MeshResource.virtualService(
            VirtualService(meta: ObjectMeta(name: "a", namespace: "bookinfo"), hosts: ["reviews.bookinfo"]))
        let dr = MeshResource.destinationRule(
            DestinationRule(meta: ObjectMeta(name: "r", namespace: "bookinfo"), host: "reviews"))
        let snapshot = MeshSnapshot.build(from: objects([vsA, vsB, dr]))
        let host = "reviews.bookinfo.svc.cluster.local"
        #expect(snapshot.virtualServicesByHost[host]?.map(\.meta.name) == ["a", "b"])
        #expect(snapshot.destinationRulesByHost[host]?.map(\.meta.name) == ["r"])
    }

    @Test func versionIsStableAndContentSensitive() {
        let inputs = objects([reviews, pod("p", ip: "10.0.0.1", labels: ["app": "reviews", "b": "2", "c": "3"])])
        let first = MeshSnapshot.build(from: inputs)
        #expect(first.version.count == 16)
        #expect(MeshSnapshot.build(from: inputs.reversed()).version == first.version)
        #expect(MeshSnapshot.build(from: objects([reviews], file: "other.yaml") + [inputs[1]]).version == first.version)
        let changed = objects([reviews, pod("p", ip: "10.0.0.2", labels: ["app": "reviews", "b": "2", "c": "3"])])
        #expect(MeshSnapshot.build(from: changed).version != first.version)
        let relabelled = objects([reviews, pod("p", ip: "10.0.0.1", labels: ["app": "reviews", "b": "2", "c": "4"])])
        #expect(MeshSnapshot.build(from: relabelled).version != first.version)
    }

    @Test func versionDoesNotDependOnTheProcess() {
        // Pinned: a version that changed between runs (for example from hashValue) would break xDS versions.
        // The content hash covers every stored field by name, so adding a field to ObjectMeta, KubernetesService
        // or ServicePort changes this value by design: re-pin it then.
        let snapshot = MeshSnapshot.build(
            from: objects([
                .service(
                    KubernetesService(
                        meta: ObjectMeta(name: "a", labels: ["x": "1", "y": "2"]), ports: [ServicePort(port: 80)]))
            ]))
        let again = MeshSnapshot.build(
            from: objects([
                .service(
                    KubernetesService(
                        meta: ObjectMeta(name: "a", labels: ["y": "2", "x": "1"]), ports: [ServicePort(port: 80)]))
            ]))
        #expect(snapshot.version == again.version)
        #expect(snapshot.version == "742b8427dfc7b9d7")
        #expect(MeshSnapshot.build(from: []).version == "cbf29ce484222325")
    }
}
