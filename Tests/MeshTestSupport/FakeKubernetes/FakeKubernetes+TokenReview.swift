import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore

extension FakeKubernetes {
    /// `POST /apis/authentication.k8s.io/v1/tokenreviews`: authenticates a token registered with `addToken` when
    /// its audiences intersect the requested ones (the server's default audience `https://kubernetes.default.svc`
    /// when none are requested). The answer has the shape of the real TokenReview status.
    func tokenReview(_ body: Data) -> Response {
        guard let review = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
            review["kind"] as? String == "TokenReview", let spec = review["spec"] as? [String: Any],
            let token = spec["token"] as? String
        else { return Self.status(400, reason: "BadRequest", "expected a TokenReview with spec.token") }
        let requested = spec["audiences"] as? [String] ?? []
        let identity = state.withLock { state -> FakeToken? in
            state.tokenReviews += 1
            return state.tokens[token]
        }
        var status: [String: Any] = ["user": [String: Any]()]
        if let identity {
            let wanted = requested.isEmpty ? ["https://kubernetes.default.svc"] : requested
            let granted = identity.audiences.filter { wanted.contains($0) }
            if granted.isEmpty {
                status["authenticated"] = false
                status["error"] =
                    "[invalid bearer token, token audiences \(identity.audiences) is invalid for the target audiences \(wanted)]"
            } else {
                var user: [String: Any] = [
                    "username": identity.username, "uid": UUID().uuidString.lowercased(),
                    "groups": [
                        "system:serviceaccounts", "system:serviceaccounts:\(identity.namespace)",
                        "system:authenticated",
                    ],
                ]
                if let pod = identity.podName { user["extra"] = ["authentication.kubernetes.io/pod-name": [pod]] }
                status["authenticated"] = true
                status["user"] = user
                status["audiences"] = granted
            }
        } else {
            status["authenticated"] = false
            status["error"] = "[invalid bearer token, square/go-jose: error in cryptographic primitive]"
        }
        let answer: [String: Any] = [
            "kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1",
            "metadata": ["creationTimestamp": NSNull()], "spec": spec, "status": status,
        ]
        return Self.json(Self.serialize(answer), status: HTTPTypes.HTTPResponse.Status.created)
    }
}
