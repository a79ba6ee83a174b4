/// The key type of certificates the CA generates (roots, workload and serving certificates).
public enum KeyAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// ECDSA on P-256 with SHA-256, Istio's default.
    case ecdsaP256 = "ECDSA-P256"
    /// RSA with a 2048-bit modulus, PKCS#1 v1.5 signatures with SHA-256.
    case rsa2048 = "RSA-2048"
}
