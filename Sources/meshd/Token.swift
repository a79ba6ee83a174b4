import ArgumentParser
import CertificateAuthority
import Foundation

/// `meshd token`: print a bootstrap token that lets a proxy obtain its first certificate for one identity.
struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Print a bootstrap token for a namespace and service account, signed by the CA in the state directory.",
        discussion: """
            The token is a credential: whoever holds it can get certificates for that identity until it expires. \
            Send it as 'authorization: Bearer <token>' on the CSR and xDS streams. See Docs/security.md.
            """)

    @Option(name: .long, help: "The workload's namespace.")
    var namespace: String

    @Option(name: .long, help: "The workload's service account.")
    var serviceAccount: String

    @Option(name: .long, help: "How long the token is valid, such as 90s, 30m, 1h, 7d or 1h30m.")
    var ttl: String = "1h"

    @Option(
        name: .long,
        help:
            "The longest --ttl allowed; must not exceed 'meshd serve --max-token-ttl', which refuses longer-lived tokens."
    )
    var maxTtl: String = "24h"

    @Option(name: .long, help: "The CA's state directory; use the same one as 'meshd serve'.")
    var stateDir: String = "./.meshd-state"

    @Option(name: .long, help: "The trust domain; use the same one as 'meshd serve'.")
    var trustDomain: String = "cluster.local"

    @Option(
        name: .long,
        help:
            "Write the token to this file (mode 0600, no trailing newline: gRPC's jwt_token_file sends the file as it is) instead of printing it."
    )
    var out: String?

    func run() throws {
        guard let duration = Self.parseDuration(ttl), duration > .zero else {
            throw ValidationError(
                "--ttl: expected a positive duration such as 90s, 30m, 1h, 7d or 1h30m, got \"\(ttl)\"")
        }
        guard let maxDuration = Self.parseDuration(maxTtl), maxDuration > .zero else {
            throw ValidationError("--max-ttl: expected a positive duration such as 24h, got \"\(maxTtl)\"")
        }
        do {
            let token = try CertificateAuthority.mintToken(
                stateDirectory: stateDir, trustDomain: trustDomain, namespace: namespace,
                serviceAccount: serviceAccount, ttl: duration, maxLifetime: maxDuration)
            guard let out else {
                print(token)
                return
            }
            try WorkloadCert.replace(URL(fileURLWithPath: out), token, mode: 0o600)
        } catch let error as CAError {
            throw ValidationError("\(error)")
        }
    }

    /// Parses `<number><unit>` groups (units s, m, h, d), as in `1h30m`.
    static func parseDuration(_ text: String) -> Duration? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var total: Int64 = 0
        var digits = ""
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if let unit = units[character], let value = Int64(digits) {
                let (product, overflow) = value.multipliedReportingOverflow(by: unit)
                guard !overflow, total <= Int64.max - product else { return nil }
                total += product
                digits = ""
            } else {
                return nil
            }
        }
        guard digits.isEmpty, !text.isEmpty else { return nil }
        return .seconds(total)
    }
}
