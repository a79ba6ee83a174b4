import ArgumentParser

/// The load generator: simulated Envoy sidecars against meshd, with convergence figures.
@main
struct MeshdLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshd-load",
        abstract: "Simulate many Envoy sidecars against meshd and measure sync, convergence, memory and CPU.",
        subcommands: [
            RunCommand.self, GenMeshCommand.self, ReplayServerCommand.self, RawFloorCommand.self, RawServerCommand.self,
        ],
        defaultSubcommand: RunCommand.self)
}
