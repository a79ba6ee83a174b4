import Foundation
import Hummingbird
import MeshModel

/// Response helpers shared by the route groups. Every body they make passes `PrivateKeyRedaction`: user
/// content (objects, values quoted in errors) is shown here, and a private key pasted into it must not be.
enum Responses {
    static func text(
        _ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8"
    ) -> Response {
        Response(
            status: status, headers: [.contentType: contentType],
            body: .init(byteBuffer: ByteBuffer(string: PrivateKeyRedaction.redact(body))))
    }

    /// `data` (UTF-8 JSON or HTML) with private keys redacted.
    static func redacted(_ data: Data) -> ByteBuffer {
        guard let text = String(data: data, encoding: .utf8), text.contains("PRIVATE KEY-----") else {
            return ByteBuffer(bytes: data)
        }
        return ByteBuffer(string: PrivateKeyRedaction.redact(text))
    }

    /// Pretty JSON with sorted keys, so output diffs well.
    static func json(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else {
            return text("could not encode response\n", status: .internalServerError)
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: redacted(data)))
    }

    /// JSON built from Foundation values (for documents that embed Envoy's own JSON).
    static func jsonObject(_ value: Any) -> Response {
        guard JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(
                withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else {
            return text("could not encode response\n", status: .internalServerError)
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: redacted(data)))
    }

    static func notFound(_ message: String) -> Response { text(message + "\n", status: .notFound) }
    static func badRequest(_ message: String) -> Response { text(message + "\n", status: .badRequest) }
}
