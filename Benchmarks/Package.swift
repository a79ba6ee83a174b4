// swift-tools-version:6.1
import Foundation
import PackageDescription

// Translator micro-benchmarks, kept out of the root package so `swift build` and `swift test` there never build
// package-benchmark. Run from this directory: `swift package benchmark`.

/// The root package's identity is its directory's name (whatever the clone is called).
let rootPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let package = Package(
    name: "meshd-benchmarks",
    dependencies: [
        .package(path: ".."),
        .package(
            url: "https://github.com/ordo-one/package-benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "TranslatorBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "XDSTranslator", package: rootPackage),
                .product(name: "MeshModel", package: rootPackage),
                .product(name: "SyntheticMesh", package: rootPackage),
            ],
            path: "Benchmarks/TranslatorBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        )
    ]
)
