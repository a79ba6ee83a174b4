import Crypto
import X509
import _CryptoExtras

/// A private key the CA generated, kept with its concrete type so it can be written as PKCS#8 PEM.
struct GeneratedKey {
    let certificateKey: Certificate.PrivateKey
    /// PKCS#8 PEM (`BEGIN PRIVATE KEY`). Secret: only ever written to a 0600 file or handed to the caller.
    let pkcs8PEM: String

    init(_ algorithm: KeyAlgorithm) throws {
        switch algorithm {
        case .ecdsaP256:
            let key = P256.Signing.PrivateKey()
            certificateKey = Certificate.PrivateKey(key)
            pkcs8PEM = key.pemRepresentation
        case .rsa2048:
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            certificateKey = Certificate.PrivateKey(key)
            pkcs8PEM = key.pkcs8PEMRepresentation
        }
    }
}
