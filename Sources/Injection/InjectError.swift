/// Why `meshd inject` refused its input. Names the document (by position, kind and name) and the reason.
public struct InjectError: Error, CustomStringConvertible {
    /// 1-based position of the document in the stream; nil for errors about the whole input.
    public var document: Int?
    public var object: String?
    public var reason: String

    public init(document: Int? = nil, object: String? = nil, reason: String) {
        self.document = document
        self.object = object
        self.reason = reason
    }

    public var description: String {
        var where_ = ""
        if let document { where_ += "document \(document)" }
        if let object { where_ += where_.isEmpty ? object : " (\(object))" }
        return where_.isEmpty ? reason : "\(where_): \(reason)"
    }
}
