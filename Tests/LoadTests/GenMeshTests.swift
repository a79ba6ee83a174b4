import Foundation
import Logging
import MeshModel
import Registry
import SyntheticMesh
import Testing

@testable import meshd_load

/// The synthetic mesh is only useful if meshd accepts all of it.
@Suite struct GenMeshTests {
    @Test func generatedMeshValidatesWithoutErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gen-mesh-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let mesh = SyntheticMesh(services: 12, endpointsPerService: 4, namespaces: 3)
        _ = try mesh.write(to: directory)

        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let store = ConfigStore(logger: quiet)
        try FileSource(directory: directory.path, store: store, logger: quiet).loadOnce()
        let errors = store.diagnostics().filter(\.isError)
        #expect(errors.isEmpty, "\(errors)")
        // 12 Services, 48 WorkloadEntries, 6 DestinationRules, 3 VirtualServices.
        #expect(store.objects().count == 12 + 48 + 6 + 3)
    }

    @Test func changedFilesStayValidAndDiffer() throws {
        let mesh = SyntheticMesh(services: 8, endpointsPerService: 3, namespaces: 2)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        for (original, changed) in [
            (mesh.workloadsYAML(7, generation: 0), mesh.workloadsYAML(7, generation: 1)),
            (mesh.serviceYAML(0, weight: 90), mesh.serviceYAML(0, weight: 70)),
        ] {
            #expect(original != changed)
            let store = ConfigStore(logger: quiet)
            store.apply(file: "changed.yaml", result: ConfigDecoder.decode(yaml: changed, file: "changed.yaml"))
            #expect(store.diagnostics().filter(\.isError).isEmpty)
        }
    }

    @Test func proxyNodesUseIstioIdentities() {
        let mesh = SyntheticMesh(services: 2, endpointsPerService: 2, namespaces: 2)
        let first = ProxyNode.make(index: 0, mesh: mesh)
        let replica = ProxyNode.make(index: 4, mesh: mesh)
        #expect(first.id == "sidecar~10.64.0.0~svc-0-0.ns-0~ns-0.svc.cluster.local")
        #expect(replica.id == "sidecar~10.64.0.0~svc-0-0-r1.ns-0~ns-0.svc.cluster.local")
        #expect(first.metadata.fields["NAMESPACE"]?.stringValue == "ns-0")
        #expect(first.metadata.fields["LABELS"]?.structValue.fields["app"]?.stringValue == "svc-0")
    }
}
