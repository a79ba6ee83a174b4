import Foundation

/// One certificate Envoy holds, as its `/certs` admin endpoint lists it (no key material).
public struct EnvoyCertificate: Sendable, Equatable, CustomStringConvertible {
    public var serialNumber: String
    /// URI subject alternative names (SPIFFE identities).
    public var uris: [String]
    public var daysUntilExpiration: Int?

    public var description: String { "serial \(serialNumber) \(uris)" }
}

extension Sidecar {
    /// The leaf certificates Envoy presents (the `cert_chain` entries of `/certs`), deduplicated by serial.
    /// With SDS, these are the `default` secrets meshd sent.
    public func presentedCertificates() throws -> [EnvoyCertificate] {
        let response = try admin("/certs")
        guard response.status == 200 else { throw HarnessError("/certs of \(pod.name) answered \(response.status)") }
        guard let root = try response.json() as? [String: Any] else {
            throw HarnessError("/certs of \(pod.name) is not a JSON object: \(response.body.prefix(300))")
        }
        var result: [EnvoyCertificate] = []
        for context in root["certificates"] as? [[String: Any]] ?? [] {
            for certificate in context["cert_chain"] as? [[String: Any]] ?? [] {
                guard let serial = certificate["serial_number"] as? String,
                    !result.contains(where: { $0.serialNumber == serial })
                else { continue }
                let names = certificate["subject_alt_names"] as? [[String: Any]] ?? []
                let days =
                    (certificate["days_until_expiration"] as? String).flatMap { Int($0) }
                    ?? certificate["days_until_expiration"] as? Int
                result.append(
                    EnvoyCertificate(
                        serialNumber: serial, uris: names.compactMap { $0["uri"] as? String }, daysUntilExpiration: days
                    ))
            }
        }
        return result
    }

    /// The serial of the certificate Envoy presents for `identity` (a SPIFFE URI); nil when it has none.
    public func presentedSerial(for identity: String) throws -> String? {
        try presentedCertificates().first { $0.uris.contains(identity) }?.serialNumber
    }
}
