import ArgumentParser

/// The meshd command line.
@main
struct Meshd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshd",
        abstract: "A service-mesh control plane: Istio configuration in, Envoy xDS out.",
        subcommands: [
            Serve.self, Bootstrap.self, Validate.self, Token.self, WorkloadCert.self, ProxyStatus.self, Diff.self,
            Inject.self, Authz.self, Apply.self, Delete.self,
        ],
        defaultSubcommand: Serve.self)
}
