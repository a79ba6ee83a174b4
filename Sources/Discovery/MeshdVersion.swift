/// The release of meshd, for `/version`, `meshd --version` and the status page.
public enum MeshdVersion {
    public static let version = "0.2.0-dev"
    /// The Envoy release the end-to-end tests run against.
    public static let testedEnvoy = "1.40.0"
}
