import ArgumentParser
import Foundation
import SyntheticMesh

/// `meshd-load gen-mesh`: writes a synthetic mesh that `meshd validate` accepts with no errors.
struct GenMeshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen-mesh",
        abstract: "Write a synthetic mesh: namespaces, Services, WorkloadEntries, DestinationRules, VirtualServices.")

    @Option(help: "Number of services.")
    var services = 1000

    @Option(help: "Endpoints (WorkloadEntries) per service.")
    var endpoints = 5

    @Option(help: "Namespaces the services are spread over.")
    var namespaces = 10

    @Option(help: "Output directory (created; existing generated files are overwritten).")
    var out: String

    @Flag(help: "Give every service files of its own instead of bundles per namespace (for run --churn-rate).")
    var filePerService = false

    func run() throws {
        guard (1...100_000).contains(services), (1...1000).contains(endpoints), (1...1000).contains(namespaces) else {
            throw ValidationError("--services 1...100000, --endpoints 1...1000, --namespaces 1...1000")
        }
        let mesh = SyntheticMesh(
            services: services, endpointsPerService: endpoints, namespaces: namespaces, filePerService: filePerService)
        let files = try mesh.write(to: URL(fileURLWithPath: out))
        let vs = (services + SyntheticMesh.vsEvery - 1) / SyntheticMesh.vsEvery
        let dr = (services + SyntheticMesh.drEvery - 1) / SyntheticMesh.drEvery
        print(
            "wrote \(files) files to \(out): \(services) services, \(services * endpoints) WorkloadEntries, \(dr) DestinationRules, \(vs) VirtualServices in \(min(namespaces, services)) namespaces"
        )
    }
}
