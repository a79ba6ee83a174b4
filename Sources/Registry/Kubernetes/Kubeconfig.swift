import Foundation
import Yams

/// Reads a kubeconfig file (as `kubectl` writes it) into a `KubernetesConnection` for one context.
///
/// Supports `server`, `certificate-authority(-data)`, `insecure-skip-tls-verify`, `token`, `tokenFile` and
/// `client-certificate(-data)`/`client-key(-data)`. Relative file paths are relative to the kubeconfig's directory,
/// as kubectl resolves them. Exec and auth-provider plugins are not supported and are reported as such.
public enum Kubeconfig {
    /// Loads `path` and resolves `context` (or `current-context`). Throws `KubernetesError.configuration` with a
    /// message naming the file and the missing field.
    public static func load(path: String, context requested: String? = nil) throws -> KubernetesConnection {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw KubernetesError.configuration("--kubeconfig: cannot read \(path)")
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(yaml: text, context: requested, file: path, baseDirectory: base)
    }

    /// Parses kubeconfig text. `file` only names the source in errors.
    public static func parse(
        yaml: String, context requested: String?, file: String, baseDirectory: String
    ) throws -> KubernetesConnection {
        func fail(_ reason: String) -> KubernetesError { .configuration("--kubeconfig \(file): \(reason)") }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else { throw fail("empty file") }
            root = node
        } catch let error as KubernetesError {
            throw error
        } catch {
            throw fail("not YAML: \(error)")
        }
        guard let contextName = requested ?? root["current-context"]?.string, !contextName.isEmpty else {
            throw fail("no current-context; pass --context")
        }
        guard let context = named(root["contexts"], contextName)?["context"] else {
            throw fail("context \"\(contextName)\" not found")
        }
        guard let clusterName = context["cluster"]?.string,
            let cluster = named(root["clusters"], clusterName)?["cluster"]
        else { throw fail("context \"\(contextName)\": cluster not found") }
        guard let server = cluster["server"]?.string, !server.isEmpty else {
            throw fail("cluster \"\(clusterName)\": server is required")
        }
        let reader = FieldReader(baseDirectory: baseDirectory, fail: fail)
        let ca = try reader.pem(cluster, data: "certificate-authority-data", file: "certificate-authority")
        let skip = cluster["insecure-skip-tls-verify"]?.bool ?? false
        var credentials = KubernetesConnection.Credentials.none
        if let userName = context["user"]?.string, let user = named(root["users"], userName)?["user"] {
            if user["exec"] != nil || user["auth-provider"] != nil {
                throw fail(
                    "user \"\(userName)\": exec and auth-provider plugins are not supported; use a token or a client certificate"
                )
            }
            if let token = user["token"]?.string {
                credentials = .token(token)
            } else if let tokenFile = user["tokenFile"]?.string {
                credentials = .tokenFile(reader.resolve(tokenFile))
            } else if let cert = try reader.pem(user, data: "client-certificate-data", file: "client-certificate") {
                guard let key = try reader.pem(user, data: "client-key-data", file: "client-key") else {
                    throw fail("user \"\(userName)\": client-certificate without client-key")
                }
                credentials = .clientCertificate(certificatePEM: cert, keyPEM: key)
            }
        }
        return KubernetesConnection(
            server: server, credentials: credentials, certificateAuthorityPEM: ca, skipTLSVerify: skip)
    }

    /// The entry of a `[{name, <kind>}]` list with the given name.
    static func named(_ list: Node?, _ name: String) -> Node? {
        list?.sequence?.first { $0["name"]?.string == name }
    }

    /// Reads a field that is either base64 data or a path to a file.
    struct FieldReader {
        var baseDirectory: String
        var fail: (String) -> KubernetesError

        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : "\(baseDirectory)/\(path)"
        }

        func pem(_ node: Node, data dataField: String, file fileField: String) throws -> String? {
            if let encoded = node[dataField]?.string {
                guard let data = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else {
                    throw fail("\(dataField) is not base64")
                }
                return String(decoding: data, as: UTF8.self)
            }
            if let path = node[fileField]?.string {
                guard let text = try? String(contentsOfFile: resolve(path), encoding: .utf8) else {
                    throw fail("\(fileField): cannot read \(resolve(path))")
                }
                return text
            }
            return nil
        }
    }
}
