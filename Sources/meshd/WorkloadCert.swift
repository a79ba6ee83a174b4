import ArgumentParser
import CertificateAuthority
import Foundation

/// `meshd workload-cert`: write a workload certificate, its key and the trust bundle into a directory, where a
/// proxyless gRPC application's `file_watcher` certificate provider (from `meshd bootstrap --grpc`) reads them.
struct WorkloadCert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workload-cert",
        abstract: "Write a workload certificate (cert-chain.pem, key.pem, root-cert.pem) for a proxyless gRPC client.",
        discussion: """
            Signs with the CA in the state directory, as 'meshd token' mints with its token key, so run it where \
            'meshd serve' keeps its state (or with its plug-in CA directory). The key is written with mode 0600. Each \
            file is replaced atomically; gRPC's file_watcher provider picks new ones up at its refresh interval. Run \
            it again (for example from cron) before half of --ttl has passed, or keep it running with --refresh. \
            See Docs/proxyless-grpc.md.
            """)

    @Option(name: .long, help: "The workload's namespace.")
    var namespace: String

    @Option(name: .long, help: "The workload's service account.")
    var serviceAccount: String

    @Option(name: .long, help: "The directory to write cert-chain.pem, key.pem and root-cert.pem into.")
    var out: String

    @Option(name: .long, help: "The certificate's lifetime, such as 1h or 24h.")
    var ttl: String = "24h"

    @Option(name: .long, help: "The CA's state directory; use the same one as 'meshd serve'.")
    var stateDir: String = "./.meshd-state"

    @Option(name: .long, help: "A plug-in CA directory, as 'meshd serve --ca-dir'.")
    var caDir: String?

    @Option(name: .long, help: "The trust domain; use the same one as 'meshd serve'.")
    var trustDomain: String = "cluster.local"

    @Flag(name: .long, help: "Keep running and write a fresh certificate at half of each one's lifetime.")
    var refresh = false

    /// The file names of the bootstrap's `file_watcher` provider (Istio's names for the same three files).
    static let certificateFile = "cert-chain.pem"
    static let keyFile = "key.pem"
    static let rootFile = "root-cert.pem"

    func run() throws {
        guard let lifetime = Token.parseDuration(ttl), lifetime > .zero else {
            throw ValidationError("--ttl: expected a positive duration such as 1h or 24h, got \"\(ttl)\"")
        }
        var options = CAOptions()
        options.trustDomain = trustDomain
        let identity = SPIFFEIdentity(trustDomain: trustDomain, namespace: namespace, serviceAccount: serviceAccount)
        do {
            let ca = try CertificateAuthority.load(stateDirectory: stateDir, pluginDirectory: caDir, options: options)
            repeat {
                let issued = try ca.issueWorkloadCertificate(for: identity, ttl: lifetime)
                try write(issued, trustBundle: ca.trustBundlePEM)
                FileHandle.standardError.write(
                    Data(
                        "wrote \(identity.uri) (serial \(issued.serialNumber), valid until \(issued.notAfter)) to \(out)\n"
                            .utf8))
                guard refresh else { return }
                let wait = max(issued.notAfter.timeIntervalSinceNow / 2, 1)
                Thread.sleep(forTimeInterval: wait)
            } while true
        } catch let error as CAError {
            throw ValidationError("\(error)")
        }
    }

    private func write(_ issued: IssuedCertificate, trustBundle: String) throws {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: out, withIntermediateDirectories: true)
            try Self.replace(
                URL(fileURLWithPath: out).appendingPathComponent(Self.keyFile), issued.privateKeyPEM, mode: 0o600)
            try Self.replace(
                URL(fileURLWithPath: out).appendingPathComponent(Self.certificateFile), issued.certificateChainPEM,
                mode: 0o644)
            try Self.replace(URL(fileURLWithPath: out).appendingPathComponent(Self.rootFile), trustBundle, mode: 0o644)
        } catch {
            throw ValidationError("--out: cannot write into \(out): \(error.localizedDescription)")
        }
    }

    /// Writes `text` to a temporary file beside `url` with `mode`, then renames it over `url`.
    static func replace(_ url: URL, _ text: String, mode: Int) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        let manager = FileManager.default
        try? manager.removeItem(at: temporary)
        guard
            manager.createFile(atPath: temporary.path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
        else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary.path])
        }
        guard rename(temporary.path, url.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }
}
