import CertificateAuthority
import Foundation
import Testing

@Suite("Bootstrap tokens")
struct TokenTests {
    @Test("a minted token verifies to its identity")
    func roundTrip() throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let token = try ca.mintToken(namespace: "shop", serviceAccount: "cart", ttl: .seconds(3600))
        #expect(token.split(separator: ".").count == 3)
        #expect(try ca.verifyToken(token) == SPIFFEIdentity(namespace: "shop", serviceAccount: "cart"))
    }

    @Test("the static minter used by 'meshd token' shares the key with the CA that serve loads")
    func staticMinterSharesKey() throws {
        let state = try TemporaryDirectory()
        defer { state.remove() }
        let token = try CertificateAuthority.mintToken(
            stateDirectory: state.path, namespace: "a", serviceAccount: "b", ttl: .seconds(60))
        let ca = try CertificateAuthority.load(stateDirectory: state.path, pluginDirectory: nil, options: CAOptions())
        #expect(try ca.verifyToken(token).uri == "spiffe://cluster.local/ns/a/sa/b")
    }

    @Test("an expired token is refused")
    func expiredRefused() async throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let token = try ca.mintToken(namespace: "shop", serviceAccount: "cart", ttl: .seconds(1))
        try await Task.sleep(for: .milliseconds(2100))
        #expect { try ca.verifyToken(token) } throws: { "\($0)".contains("expired") }
    }

    @Test("a tampered token is refused: changed claims or a changed signature")
    func tamperedRefused() throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        let token = try ca.mintToken(namespace: "shop", serviceAccount: "cart", ttl: .seconds(3600))
        let parts = token.split(separator: ".").map(String.init)
        let forgedClaims = try #require(Data(base64URL: parts[1]).flatMap { String(data: $0, encoding: .utf8) })
            .replacingOccurrences(of: "\"cart\"", with: "\"admin\"")
            .replacingOccurrences(of: "sa/cart", with: "sa/admin")
        let forged = [parts[0], Data(forgedClaims.utf8).base64URL, parts[2]].joined(separator: ".")
        #expect(throws: CAError.self) { try ca.verifyToken(forged) }
        var signature = Array(parts[2])
        signature[5] = signature[5] == "A" ? "B" : "A"
        #expect(throws: CAError.self) {
            try ca.verifyToken([parts[0], parts[1], String(signature)].joined(separator: "."))
        }
        let noneAlg = [Data(#"{"alg":"none"}"#.utf8).base64URL, parts[1], ""].joined(separator: ".")
        #expect(throws: CAError.self) { try ca.verifyToken(noneAlg) }
        for garbage in ["", "a.b", "a.b.c", "..", token + "."] {
            #expect(throws: CAError.self, "\(garbage)") { try ca.verifyToken(garbage) }
        }
    }

    @Test("a token from another CA is refused")
    func otherCARefused() throws {
        let (ca, state) = try makeCA()
        let (other, otherState) = try makeCA()
        defer {
            state.remove()
            otherState.remove()
        }
        let token = try other.mintToken(namespace: "shop", serviceAccount: "cart", ttl: .seconds(3600))
        #expect { try ca.verifyToken(token) } throws: { "\($0)".contains("another CA") }
    }

    @Test("a token that lives longer than the maximum lifetime is refused by the verifier, even with the CA's own key")
    func overlongLifetimeRefused() throws {
        let state = try TemporaryDirectory()
        defer { state.remove() }
        // The attack: 'meshd token --ttl 87600h' with the state directory's key. The minter refuses it by default…
        #expect {
            try CertificateAuthority.mintToken(
                stateDirectory: state.path, namespace: "istio-system", serviceAccount: "istiod",
                ttl: .seconds(87_600 * 3600))
        } throws: { "\($0)".contains("exceeds the maximum token lifetime") }
        // …and a token minted with a raised limit is still refused where it is checked.
        let overlong = try CertificateAuthority.mintToken(
            stateDirectory: state.path, namespace: "istio-system", serviceAccount: "istiod",
            ttl: .seconds(87_600 * 3600), maxLifetime: .seconds(100_000 * 3600))
        let ca = try CertificateAuthority.load(stateDirectory: state.path, pluginDirectory: nil, options: CAOptions())
        #expect { try ca.verifyToken(overlong) } throws: { "\($0)".contains("maximum token lifetime of 1d") }
        // A token within the limit passes; a stricter serve limit refuses it.
        let day = try CertificateAuthority.mintToken(
            stateDirectory: state.path, namespace: "a", serviceAccount: "b", ttl: .seconds(24 * 3600))
        #expect(try ca.verifyToken(day).uri == "spiffe://cluster.local/ns/a/sa/b")
        var strict = CAOptions()
        strict.maxTokenLifetime = .seconds(3600)
        let strictCA = try CertificateAuthority.load(stateDirectory: state.path, pluginDirectory: nil, options: strict)
        #expect(throws: CAError.self) { try strictCA.verifyToken(day) }
    }

    @Test("a non-positive TTL or an invalid name is refused when minting")
    func badMintRefused() throws {
        let (ca, state) = try makeCA()
        defer { state.remove() }
        #expect(throws: CAError.self) { try ca.mintToken(namespace: "a", serviceAccount: "b", ttl: .zero) }
        #expect(throws: CAError.self) { try ca.mintToken(namespace: "a/b", serviceAccount: "c", ttl: .seconds(60)) }
    }

    private func makeCA() throws -> (CertificateAuthority, TemporaryDirectory) {
        let state = try TemporaryDirectory()
        return (
            try CertificateAuthority.load(stateDirectory: state.path, pluginDirectory: nil, options: CAOptions()), state
        )
    }
}

extension Data {
    init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }

    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
