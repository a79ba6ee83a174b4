import Foundation
import Yams

/// The webhook configurations meshd ships (`Deploy/kubernetes/70-webhooks.yaml`), as JSON for `FakeKubernetes.apply`.
public enum ShippedWebhooks {
    /// The MutatingWebhookConfiguration and the ValidatingWebhookConfiguration, with `caBundle` set in every
    /// webhook (nil: left as shipped, empty).
    public static func configurations(caBundle: String? = nil) throws -> [String] {
        let path = RepositoryPaths.root.appendingPathComponent("Deploy/kubernetes/70-webhooks.yaml")
        return try Yams.load_all(yaml: try String(contentsOf: path, encoding: .utf8)).compactMap { document in
            guard var object = document as? [String: Any],
                (object["kind"] as? String)?.hasSuffix("WebhookConfiguration") == true,
                var webhooks = object["webhooks"] as? [[String: Any]]
            else { return nil }
            if let caBundle {
                for index in webhooks.indices {
                    var client = webhooks[index]["clientConfig"] as? [String: Any] ?? [:]
                    client["caBundle"] = caBundle
                    webhooks[index]["clientConfig"] = client
                }
                object["webhooks"] = webhooks
            }
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
    }
}

extension FakeKubernetes {
    /// `method` of a JSON `body` to the fake on `apiPort` (as `kubectl create` / `replace` send it), through curl on a
    /// thread of its own, so the fake's handler and an in-process webhook server keep Swift's cooperative threads.
    public static func send(_ method: String, _ path: String, _ body: String, apiPort: Int) async throws
        -> HTTPResponse
    {
        let marker = "\n--status:"
        let result = try await Subprocess.runDetached(
            [
                "curl", "-sS", "-X", method, "--noproxy", "*", "--max-time", "30", "-H",
                "Content-Type: application/json", "-d", body, "-w", "\(marker)%{http_code}",
                "http://127.0.0.1:\(apiPort)\(path)",
            ], timeout: .seconds(40))
        guard let range = result.stdout.range(of: marker, options: .backwards) else {
            throw HarnessError("curl printed no status: \(result.stderr)")
        }
        return HTTPResponse(
            status: Int(result.stdout[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0,
            body: String(result.stdout[..<range.lowerBound]))
    }
}
