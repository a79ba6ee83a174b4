import Foundation
import SwiftASN1
import X509

/// Reading and writing PEM for the CA's files and API, with errors that name the file.
enum PEM {
    /// The contents of `path` as text; a missing, unreadable or non-UTF-8 file is a `CAError` naming it.
    static func readFile(_ path: String) throws -> String {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CAError(file: path, reason: "cannot be read (missing or no permission)")
        }
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CAError(file: path, reason: "cannot be read: \(error.localizedDescription)")
        }
    }

    /// Every certificate in a PEM text, in order; at least one, and nothing but certificates.
    static func certificates(in text: String, source: String) throws -> [Certificate] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw CAError(file: source, reason: "is not valid PEM")
        }
        guard !documents.isEmpty else {
            throw CAError(file: source, reason: "holds no PEM certificate")
        }
        return try documents.enumerated().map { index, document in
            guard document.discriminator == "CERTIFICATE" else {
                throw CAError(
                    file: source, reason: "block \(index + 1) is a '\(document.discriminator)', not a CERTIFICATE")
            }
            do {
                return try Certificate(pemDocument: document)
            } catch {
                throw CAError(file: source, reason: "block \(index + 1) is not a valid X.509 certificate")
            }
        }
    }

    /// A private key in PKCS#8, SEC1 or PKCS#1 PEM. The error never echoes the file's content.
    static func privateKey(in text: String, source: String) throws -> Certificate.PrivateKey {
        do {
            return try Certificate.PrivateKey(pemEncoded: text)
        } catch {
            throw CAError(file: source, reason: "is not a PEM private key (PKCS#8, SEC1 or PKCS#1) of a supported type")
        }
    }

    /// One certificate as PEM text, ending in a newline.
    static func encode(_ certificate: Certificate) throws -> String {
        try certificate.serializeAsPEM().pemString + "\n"
    }

    /// Certificates as concatenated PEM, in order.
    static func encode(_ certificates: [Certificate]) throws -> String {
        try certificates.map(encode).joined()
    }
}
