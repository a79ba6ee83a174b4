import Foundation
import MeshModel
import Testing

/// A private key pasted by mistake into a config field is never echoed by the admin server: not in the refusal
/// that quotes the value, not in `/debug/configz`, not on the status page.
@Suite("Private keys in user content are redacted", .timeLimit(.minutes(1)))
struct PrivateKeyRedactionTests {
    /// A key-shaped block with a random body, made for this run (nothing committed looks like a real key).
    static func pastedKey() -> (pem: String, body: String) {
        let bytes = (0..<240).map { _ in UInt8.random(in: 0...255) }
        let body = Data(bytes).base64EncodedString()
        let lines = stride(from: 0, to: body.count, by: 64).map { offset -> String in
            let start = body.index(body.startIndex, offsetBy: offset)
            return String(body[start..<(body.index(start, offsetBy: 64, limitedBy: body.endIndex) ?? body.endIndex)])
        }
        return ("-----BEGIN PRIVATE KEY-----\n" + lines.joined(separator: "\n") + "\n-----END PRIVATE KEY-----\n", body)
    }

    @Test(
        "blocks are replaced with real and escaped line breaks, other kinds, and a truncated block; certificates stay")
    func redactsBlocks() {
        let (pem, body) = Self.pastedKey()
        let certificate = "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----"
        let cases = [
            "before \(pem) after",
            "json: \"" + pem.replacingOccurrences(of: "\n", with: "\\n") + "\"",
            pem.replacingOccurrences(of: "PRIVATE KEY", with: "RSA PRIVATE KEY"),
            pem.replacingOccurrences(of: "PRIVATE KEY", with: "EC PRIVATE KEY") + pem,
            "truncated: " + String(pem.prefix(120)),
        ]
        for text in cases {
            let redacted = PrivateKeyRedaction.redact(text)
            #expect(!redacted.contains(String(body.prefix(40))), "\(redacted)")
            #expect(redacted.contains(PrivateKeyRedaction.placeholder), "\(redacted)")
        }
        #expect(PrivateKeyRedaction.redact("before \(pem) after").hasPrefix("before "))
        #expect(PrivateKeyRedaction.redact("before \(pem) after").hasSuffix(" after"))
        #expect(PrivateKeyRedaction.redact(certificate) == certificate)
        #expect(PrivateKeyRedaction.redact("no keys here") == "no keys here")
        #expect(
            PrivateKeyRedaction.redact("-----BEGIN lower PRIVATE KEY----- x") == "-----BEGIN lower PRIVATE KEY----- x")
    }

    @Test("a key pasted into a VirtualService host: refused with a reason, and shown nowhere on the admin server")
    func adminNeverEchoesPastedKey() async throws {
        let (pem, body) = Self.pastedKey()
        let escaped = pem.replacingOccurrences(of: "\n", with: "\\n")
        let refused = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: pasted
              namespace: default
            spec:
              hosts: ["\(escaped)"]
              http:
              - route:
                - destination:
                    host: reviews
            """
        let inForce = """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: reviews
              namespace: default
              annotations:
                note: "\(escaped)"
            spec:
              host: reviews
            """
        try await InProcessMeshd.with(files: ["pasted.yaml": refused, "dr.yaml": inForce]) { meshd in
            let configz = try await meshd.get("/debug/configz")
            #expect(configz.status == 200)
            #expect(configz.body.contains("pasted"), "the refusal is listed: \(configz.body.prefix(600))")
            let page = try await meshd.get("/")
            #expect(page.status == 200)
            for (name, text) in [("/debug/configz", configz.body), ("/", page.body)] {
                #expect(!text.contains(String(body.prefix(40))), "\(name) echoes the key")
                #expect(!text.contains(String(body.suffix(40))), "\(name) echoes the key")
            }
            #expect(
                configz.body.contains(PrivateKeyRedaction.placeholder),
                "the refusal's quoted value is redacted, not dropped")
        }
    }
}
