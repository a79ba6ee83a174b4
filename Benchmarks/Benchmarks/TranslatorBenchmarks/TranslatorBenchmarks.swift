import Benchmark
import MeshModel
import SyntheticMesh
import XDSTranslator

/// Time and allocations to generate each xDS type for one sidecar on the S1 mesh (1,000 services × 5 endpoints).
let benchmarks: @Sendable () -> Void = {
    let mesh = SyntheticMesh(services: 1000, endpointsPerService: 5, namespaces: 10)
    let snapshot = MeshSnapshot.build(
        from: mesh.files().flatMap { path, yaml in ConfigDecoder.decode(yaml: yaml, file: path).objects })
    let workload = mesh.workload(at: 0)
    guard
        let proxy = try? Proxy(
            nodeID:
                "sidecar~\(workload.address)~\(workload.name).\(workload.namespace)~\(workload.namespace).svc.cluster.local",
            metadata: ["NAMESPACE": workload.namespace, "INSTANCE_IPS": workload.address],
            labels: ["app": workload.app, "version": workload.version])
    else { fatalError("the generated workload is not a valid proxy identity") }
    let translator = XDSTranslator()

    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .memoryLeaked, .peakMemoryResident],
        maxDuration: .seconds(5), maxIterations: 200)

    for (name, typeURL) in [
        ("CDS", "type.googleapis.com/envoy.config.cluster.v3.Cluster"),
        ("EDS", "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"),
        ("LDS", "type.googleapis.com/envoy.config.listener.v3.Listener"),
        ("RDS", "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"),
    ] {
        Benchmark("generate \(name), one proxy, S1 mesh") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(translator.generate(typeURL: typeURL, snapshot: snapshot, proxy: proxy))
            }
        }
    }
}
