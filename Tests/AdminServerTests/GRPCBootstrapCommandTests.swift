import Foundation
import MeshTestSupport
import Testing

/// `meshd bootstrap --grpc`: the gRPC xDS bootstrap a proxyless client starts with, and what it refuses because gRPC
/// would (the built `meshd` executable, as a user runs it).
@Suite("meshd bootstrap --grpc")
struct GRPCBootstrapCommandTests {
    static let base = [
        "bootstrap", "--grpc", "--node-ip", "10.44.0.20", "--pod", "reviews-v1", "--namespace", "default",
        "--service-account", "reviews", "--label", "app=reviews",
    ]

    func run(_ arguments: [String]) throws -> SubprocessResult {
        try Subprocess.run([try MeshdProcess.executable()] + Self.base + arguments, timeout: .seconds(30))
    }

    @Test(
        "the node in Istio's form with GENERATOR grpc, TLS channel and token call credentials, the file_watcher provider"
    )
    func document() throws {
        let result = try run([
            "--xds-address", "localhost:15012", "--xds-tls", "--root-cert", "/etc/mesh/root-cert.pem",
            "--token-file", "/var/run/mesh/token", "--cert-dir", "/var/run/mesh/certs/",
        ])
        #expect(result.succeeded, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let node = json["node"] as? [String: Any]
        #expect(node?["id"] as? String == "sidecar~10.44.0.20~reviews-v1.default~default.svc.cluster.local")
        let metadata = node?["metadata"] as? [String: Any]
        #expect(metadata?["GENERATOR"] as? String == "grpc")
        #expect(metadata?["NAMESPACE"] as? String == "default")
        #expect((metadata?["LABELS"] as? [String: String])?["app"] == "reviews")
        let server = (json["xds_servers"] as? [[String: Any]])?.first
        #expect(server?["server_uri"] as? String == "localhost:15012")
        let channel = (server?["channel_creds"] as? [[String: Any]])?.first
        #expect(channel?["type"] as? String == "tls")
        #expect((channel?["config"] as? [String: String])?["ca_certificate_file"] == "/etc/mesh/root-cert.pem")
        let call = (server?["call_creds"] as? [[String: Any]])?.first
        #expect(call?["type"] as? String == "jwt_token_file")
        #expect((call?["config"] as? [String: String])?["jwt_token_file"] == "/var/run/mesh/token")
        let provider = (json["certificate_providers"] as? [String: Any])?["default"] as? [String: Any]
        #expect(provider?["plugin_name"] as? String == "file_watcher")
        let files = provider?["config"] as? [String: String]
        #expect(files?["certificate_file"] == "/var/run/mesh/certs/cert-chain.pem")
        #expect(files?["private_key_file"] == "/var/run/mesh/certs/key.pem")
        #expect(files?["ca_certificate_file"] == "/var/run/mesh/certs/root-cert.pem")
    }

    @Test("a token over plaintext is refused (gRPC would not send it), and so is an inline token")
    func refusals() throws {
        let plaintext = try run(["--xds-address", "127.0.0.1:15010", "--token-file", "/var/run/mesh/token"])
        #expect(!plaintext.succeeded)
        #expect(plaintext.stderr.contains("only over TLS"), "\(plaintext.stderr)")
        let inline = try run(["--xds-address", "localhost:15012", "--xds-tls", "--root-cert", "r.pem", "--token", "t"])
        #expect(!inline.succeeded)
        #expect(inline.stderr.contains("use --token-file"), "\(inline.stderr)")
        let bare = try run(["--xds-address", "127.0.0.1:15010"])
        #expect(bare.succeeded)
        #expect(bare.stdout.contains("\"insecure\""))
    }
}
