import Foundation
import Hummingbird

/// Response helpers shared by the route groups.
enum Responses {
    static func text(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Pretty JSON with sorted keys, so output diffs well.
    static func json(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else {
            return text("could not encode response\n", status: .internalServerError)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// JSON built from Foundation values (for documents that embed Envoy's own JSON).
    static func jsonObject(_ value: Any) -> Response {
        guard JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else {
            return text("could not encode response\n", status: .internalServerError)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func notFound(_ message: String) -> Response { text(message + "\n", status: .notFound) }
    static func badRequest(_ message: String) -> Response { text(message + "\n", status: .badRequest) }
}
