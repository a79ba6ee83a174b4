import ArgumentParser
import EtcdClient
import Foundation
import Registry

/// The etcd flags shared by `meshd serve`, `meshd apply` and `meshd delete`: where etcd is, how to authenticate, and
/// the key prefix.
struct EtcdOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "etcd client URLs, comma-separated (http://HOST:PORT or https://HOST:PORT). meshd reads and watches the objects under --etcd-prefix."
    )
    var etcdEndpoints: String?

    @Option(name: .long, help: "The key prefix: objects are <prefix>/<apiVersion>/<kind>/<namespace>/<name>.")
    var etcdPrefix: String = "/meshd"

    @Option(name: .long, help: "PEM CA bundle that etcd's server certificates must chain to (https endpoints).")
    var etcdCacert: String?

    @Option(
        name: .long, help: "PEM client certificate for etcd (with --etcd-key), for a cluster with --client-cert-auth.")
    var etcdCert: String?

    @Option(name: .long, help: "PEM private key of --etcd-cert.")
    var etcdKey: String?

    @Option(name: .long, help: "etcd user name (etcd's user/password authentication).")
    var etcdUsername: String?

    @Option(
        name: .long,
        help: "File holding the password of --etcd-username (the environment variable MESHD_ETCD_PASSWORD also works).")
    var etcdPasswordFile: String?

    @Option(name: .long, help: "The longest one etcd call may take (not a watch), e.g. 5s.")
    var etcdRequestTimeout: String = "5s"

    /// The connection the flags describe, or nil without `--etcd-endpoints`. Throws a `ValidationError` naming the flag.
    func connection() throws -> EtcdConnection? {
        guard let etcdEndpoints else {
            let stray = [
                ("--etcd-cacert", etcdCacert), ("--etcd-cert", etcdCert), ("--etcd-key", etcdKey),
                ("--etcd-username", etcdUsername), ("--etcd-password-file", etcdPasswordFile),
            ].first { $0.1 != nil }
            if let stray { throw ValidationError("\(stray.0) needs --etcd-endpoints") }
            return nil
        }
        let endpoints: [EtcdEndpoint]
        do {
            endpoints = try EtcdEndpoint.parseList(etcdEndpoints)
        } catch let error as EtcdError {
            throw ValidationError("--etcd-endpoints: \(error)")
        }
        if (etcdCert == nil) != (etcdKey == nil) { throw ValidationError("--etcd-cert and --etcd-key go together") }
        let usesTLS = endpoints.contains(where: \.usesTLS)
        if usesTLS && endpoints.contains(where: { !$0.usesTLS }) {
            throw ValidationError("--etcd-endpoints: use https for every endpoint or for none")
        }
        if !usesTLS && (etcdCacert != nil || etcdCert != nil) {
            throw ValidationError("--etcd-cacert and --etcd-cert need https:// endpoints")
        }
        for (flag, path) in [("--etcd-cacert", etcdCacert), ("--etcd-cert", etcdCert), ("--etcd-key", etcdKey)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                throw ValidationError("\(flag): \(path): cannot read file")
            }
        }
        var credentials: EtcdConnection.Credentials?
        if let etcdUsername {
            credentials = EtcdConnection.Credentials(user: etcdUsername, password: try password())
        } else if etcdPasswordFile != nil {
            throw ValidationError("--etcd-password-file needs --etcd-username")
        }
        let timeout = try ServePushOptions.duration(etcdRequestTimeout, flag: "--etcd-request-timeout")
        return EtcdConnection(
            endpoints: endpoints,
            tls: EtcdConnection.TLS(trustedCAFile: etcdCacert, certificateFile: etcdCert, keyFile: etcdKey),
            credentials: credentials, requestTimeout: timeout)
    }

    var layout: EtcdKeyLayout { EtcdKeyLayout(prefix: etcdPrefix) }

    private func password() throws -> String {
        if let etcdPasswordFile {
            guard let data = FileManager.default.contents(atPath: etcdPasswordFile) else {
                throw ValidationError("--etcd-password-file: \(etcdPasswordFile): cannot read file")
            }
            var text = String(decoding: data, as: UTF8.self)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            return text
        }
        if let password = ProcessInfo.processInfo.environment["MESHD_ETCD_PASSWORD"] { return password }
        throw ValidationError("--etcd-username needs --etcd-password-file or MESHD_ETCD_PASSWORD")
    }
}
