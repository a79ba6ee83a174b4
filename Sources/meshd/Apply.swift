import ArgumentParser
import EtcdClient
import Foundation
import Registry

/// `meshd apply -f`: validate objects and write them all to etcd in one transaction, or none of them.
struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Validate YAML and write every object to etcd in one transaction; nothing is written if any is invalid.")

    @Option(name: .shortAndLong, help: "A YAML file, or a directory read recursively (repeatable).")
    var filename: [String] = []

    @OptionGroup(title: "etcd")
    var etcdOptions: EtcdOptions

    @Option(
        name: .long,
        help: "The most operations one transaction may hold: etcd's --max-txn-ops (its default is 128).")
    var maxTxnOps: Int = 128

    @Flag(name: .long, help: "Validate and print the keys that would be written, without writing.")
    var dryRun = false

    func run() async throws {
        guard !filename.isEmpty else { throw ValidationError("give -f FILE or -f DIR") }
        guard let connection = try etcdOptions.connection() else { throw ValidationError("give --etcd-endpoints") }
        let layout = etcdOptions.layout
        let plan = ApplyPlan.make(paths: filename, layout: layout)
        for warning in plan.warnings { print("warning: \(warning)") }
        guard plan.errors.isEmpty else {
            for error in plan.errors { print(error) }
            print("\(plan.errors.count) errors: nothing was written to etcd")
            throw ExitCode(1)
        }
        if dryRun {
            for entry in plan.entries { print("\(entry.key) <- \(entry.origin) (dry run)") }
            print("\(plan.entries.count) objects valid; nothing written (dry run)")
            return
        }
        guard !plan.entries.isEmpty else {
            print("no objects to write")
            return
        }
        let result = try await EtcdCommand.run(connection) { session in
            let existing = Set(try await session.keys(prefix: layout.watchedPrefix))
            let transaction = plan.transaction(existing: existing, layout: layout)
            guard transaction.success.count <= maxTxnOps else {
                throw ValidationError(
                    "\(transaction.success.count) operations exceed --max-txn-ops \(maxTxnOps) (etcd's --max-txn-ops): "
                        + "nothing was written; apply fewer objects at a time, or raise both limits")
            }
            return (try await session.transaction(transaction), transaction.success.count - plan.entries.count)
        }
        for entry in plan.entries { print("\(entry.key) <- \(entry.origin)") }
        let replaced = result.1 > 0 ? ", replacing \(result.1) stored under another apiVersion" : ""
        print("applied \(plan.entries.count) objects in one transaction at revision \(result.0.revision)\(replaced)")
    }
}

/// `meshd delete -f`: remove the objects of the given files from etcd, in one transaction.
struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete the objects named in YAML files from etcd, in one transaction.")

    @Option(name: .shortAndLong, help: "A YAML file, or a directory read recursively (repeatable).")
    var filename: [String] = []

    @OptionGroup(title: "etcd")
    var etcdOptions: EtcdOptions

    func run() async throws {
        guard !filename.isEmpty else { throw ValidationError("give -f FILE or -f DIR") }
        guard let connection = try etcdOptions.connection() else { throw ValidationError("give --etcd-endpoints") }
        let layout = etcdOptions.layout
        var errors: [String] = []
        var named: [(keys: [String], label: String)] = []
        for file in ApplyPlan.yamlFiles(filename, errors: &errors) {
            guard let data = FileManager.default.contents(atPath: file) else {
                errors.append("\(file): cannot read file")
                continue
            }
            for document in MeshModelDocuments.of(String(decoding: data, as: UTF8.self)) {
                guard let identity = document.identity else {
                    errors.append(
                        "\(file):\(document.firstLine): apiVersion, kind and metadata.name are needed to name the object"
                    )
                    continue
                }
                named.append(
                    (
                        MeshModelDocuments.keys(of: identity, layout: layout),
                        "\(identity.kind)/\(identity.namespace)/\(identity.name)"
                    ))
            }
        }
        guard errors.isEmpty else {
            for error in errors { print(error) }
            print("\(errors.count) errors: nothing was deleted")
            throw ExitCode(1)
        }
        let (deleted, missing) = try await EtcdCommand.run(connection) { session in
            let existing = Set(try await session.keys(prefix: layout.watchedPrefix))
            let present = named.filter { entry in entry.keys.contains(where: existing.contains) }
            let operations = present.flatMap { $0.keys.filter(existing.contains) }.map {
                EtcdTransaction.Operation.delete($0)
            }
            if !operations.isEmpty { _ = try await session.transaction(EtcdTransaction(success: operations)) }
            return (
                present.map(\.label),
                named.filter { entry in !entry.keys.contains(where: existing.contains) }.map(\.label)
            )
        }
        for label in deleted { print("\(label) deleted") }
        for label in missing { print("\(label) not found in etcd") }
        print("deleted \(deleted.count) objects in one transaction; \(missing.count) not found")
    }
}

/// Runs a one-shot etcd command on the first endpoint that answers, with errors as a non-zero exit and a message.
enum EtcdCommand {
    static func run<Result: Sendable>(
        _ connection: EtcdConnection, _ body: (EtcdSession) async throws -> Result
    ) async throws -> Result {
        do {
            return try await EtcdClient.withAnySession(connection, body)
        } catch let error as EtcdError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
