import Foundation

/// Where the API server is and how to authenticate to it: the resolved form of a kubeconfig context or of the
/// in-cluster service-account files.
public struct KubernetesConnection: Sendable, Hashable {
    /// How requests prove who meshd is.
    public enum Credentials: Sendable, Hashable {
        case none
        /// A bearer token.
        case token(String)
        /// A bearer token re-read from a file on every request, because projected service-account tokens rotate.
        case tokenFile(String)
        /// A client certificate and key, PEM.
        case clientCertificate(certificatePEM: String, keyPEM: String)
    }

    /// `https://host:port` or, for the fake API server in tests, `http://127.0.0.1:port`.
    public var server: String
    public var credentials: Credentials
    /// PEM bundle the server certificate must chain to; nil uses the system trust store.
    public var certificateAuthorityPEM: String?
    /// kubeconfig's `insecure-skip-tls-verify`.
    public var skipTLSVerify: Bool

    public init(
        server: String, credentials: Credentials = .none, certificateAuthorityPEM: String? = nil,
        skipTLSVerify: Bool = false
    ) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.credentials = credentials
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.skipTLSVerify = skipTLSVerify
    }

    /// The service-account directory every pod gets.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// In-cluster configuration: `KUBERNETES_SERVICE_HOST`/`PORT`, and the token and CA of the pod's service
    /// account. Throws `KubernetesError.configuration` naming what is missing.
    public static func inCluster(
        environment: [String: String]? = nil, directory: String = serviceAccountDirectory
    ) throws -> KubernetesConnection {
        let environment = environment ?? ProcessInfo.processInfo.environment
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw KubernetesError.configuration(
                "--in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (is meshd running in a pod?)"
            )
        }
        let tokenPath = "\(directory)/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubernetesError.configuration("--in-cluster: cannot read the service-account token at \(tokenPath)")
        }
        let caPath = "\(directory)/ca.crt"
        guard let ca = try? String(contentsOfFile: caPath, encoding: .utf8) else {
            throw KubernetesError.configuration("--in-cluster: cannot read the cluster CA at \(caPath)")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return KubernetesConnection(
            server: "https://\(hostPart):\(port)", credentials: .tokenFile(tokenPath), certificateAuthorityPEM: ca)
    }

    /// The `Authorization` header value for the next request, if any.
    func authorization() throws -> String? {
        switch credentials {
        case .none, .clientCertificate: return nil
        case .token(let token): return "Bearer \(token)"
        case .tokenFile(let path):
            guard let token = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw KubernetesError.configuration("cannot read the token file \(path)")
            }
            return "Bearer \(token.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
    }
}
