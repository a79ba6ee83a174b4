// swift-tools-version:6.1
import Foundation
import PackageDescription

// libFuzzer executables, one per fuzz target, kept out of the root package: they are built with
// `-sanitize=fuzzer` (and the address sanitizer), which would not link the root's tests. Build and run them with
// `Scripts/fuzz`; the entry points live in the root's `FuzzTargets` module, which the regression tests also run.

/// The root package's identity is its directory's name (whatever the clone is called).
let rootPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let package = Package(
    name: "meshd-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "LibFuzzerDriver", path: "Sources/LibFuzzerDriver"),
        // yaml, translate and ads; MESHD_FUZZ_TARGET picks the target. Needs no TLS stack, so it builds quickly.
        .executableTarget(
            name: "meshd-fuzz",
            dependencies: ["LibFuzzerDriver", .product(name: "FuzzTargets", package: rootPackage)],
            path: "Sources/meshd-fuzz"),
        // The admin routes, through the whole admin server.
        .executableTarget(
            name: "meshd-fuzz-admin",
            dependencies: ["LibFuzzerDriver", .product(name: "AdminFuzzTarget", package: rootPackage)],
            path: "Sources/meshd-fuzz-admin"),
    ]
)
