/// Why `meshd inject` refused its input. Names the document (by position, kind and name) and the reason.
struct InjectError: Error, CustomStringConvertible {
    /// 1-based position of the document in the stream; nil for errors about the whole input.
    var document: Int?
    var object: String?
    var reason: String

    var description: String {
        var where_ = ""
        if let document { where_ += "document \(document)" }
        if let object { where_ += where_.isEmpty ? object : " (\(object))" }
        return where_.isEmpty ? reason : "\(where_): \(reason)"
    }
}
