import ArgumentParser

/// `meshd authz`: authorization tools.
struct Authz: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Authorization tools: simulate requests against the RBAC and JWT config meshd generates.",
        subcommands: [AuthzCheck.self])
}
