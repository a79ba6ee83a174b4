import CertificateAuthority
import Foundation
import NIOSSL
import Synchronization

/// The TLS context of the secure xDS port, with a serving certificate that is re-issued at half of its lifetime,
/// so a long-running meshd never presents an expired certificate on 15012. Consulted once per new connection;
/// connections already open keep the context they were accepted with. Thread-safe.
///
/// Client certificates are requested but optional (`.optionalVerification`): the listener verifies a presented
/// chain with the CA itself, against the bundle as it is at that moment.
final class RenewingServingContext: Sendable {
    private struct Current {
        var context: NIOSSLContext
        var renewAt: Date
    }

    private let ca: CertificateAuthority
    private let dnsNames: [String]?
    private let state: Mutex<Current>

    /// Issues the first serving certificate; throws (at start-up) when the CA cannot.
    init(ca: CertificateAuthority, dnsNames: [String]?) throws {
        self.ca = ca
        self.dnsNames = dnsNames
        state = Mutex(try Self.make(ca: ca, dnsNames: dnsNames, now: Date()))
    }

    /// The context for a new connection, renewed first when the certificate has passed half of its lifetime.
    /// If renewal fails, the current certificate is kept (it is still valid until `notAfter`) and renewal is
    /// tried again on the next connection.
    func current(now: Date = Date()) -> NIOSSLContext {
        state.withLock { current in
            if now >= current.renewAt, let renewed = try? Self.make(ca: ca, dnsNames: dnsNames, now: now) {
                current = renewed
            }
            return current.context
        }
    }

    /// When the current certificate will be replaced.
    var renewAt: Date { state.withLock { $0.renewAt } }

    private static func make(ca: CertificateAuthority, dnsNames: [String]?, now: Date) throws -> Current {
        let serving = try ca.issueServingCertificate(dnsNames: dnsNames)
        let chain = try ServingTLS.pemBlocks(serving.certificateChainPEM).map {
            try NIOSSLCertificate(bytes: Array($0.utf8), format: .pem)
        }
        let key = try NIOSSLPrivateKey(bytes: Array(serving.privateKeyPEM.utf8), format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.certificateVerification = .optionalVerification
        // Only the list of acceptable CAs sent to the client; the listener's callback does the verifying.
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.trustBundlePEM.utf8)))
        configuration.applicationProtocols = ["grpc-exp", "h2"]
        // Half of the lifetime measured from now, not from the back-dated notBefore.
        let renewAt = now.addingTimeInterval(max(1, serving.notAfter.timeIntervalSince(now) / 2))
        return Current(context: try NIOSSLContext(configuration: configuration), renewAt: renewAt)
    }
}
