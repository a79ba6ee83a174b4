import Foundation

/// The `authentication.k8s.io/v1` TokenReview request body meshd POSTs: the token and the audiences it must carry.
struct TokenReviewRequest: Encodable {
    struct Spec: Encodable {
        var token: String
        var audiences: [String]
    }

    var apiVersion = "authentication.k8s.io/v1"
    var kind = "TokenReview"
    var spec: Spec
}

/// The part of the API server's TokenReview answer meshd reads. Every field is optional: the body is external
/// input, and a missing field means "not proven", never a crash.
struct TokenReviewResponse: Decodable {
    struct Status: Decodable {
        struct User: Decodable {
            var username: String?
        }

        var authenticated: Bool?
        var user: User?
        var audiences: [String]?
        var error: String?
    }

    var kind: String?
    var status: Status?
    /// On a failed call the API server answers with a `Status` object, whose `message` says why.
    var message: String?
}
