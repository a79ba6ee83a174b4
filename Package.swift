// swift-tools-version:6.1
import PackageDescription

/// One set of settings for every target: Swift 6 language mode with strict concurrency.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "meshd",
    products: [
        .executable(name: "meshd", targets: ["meshd"]),
        .executable(name: "meshd-load", targets: ["meshd-load"]),
        // For the separate micro-benchmark package in Benchmarks/ (it depends on this one by path).
        .library(name: "XDSTranslator", targets: ["XDSTranslator"]),
        .library(name: "MeshModel", targets: ["MeshModel"]),
        .library(name: "SyntheticMesh", targets: ["SyntheticMesh"]),
        // For the libFuzzer executables in Fuzz/ (built by Scripts/fuzz, by path).
        .library(name: "FuzzTargets", targets: ["FuzzTargets"]),
        .library(name: "AdminFuzzTarget", targets: ["AdminFuzzTarget"]),
    ],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
    ],
    targets: [
        .target(
            name: "EnvoyAPI",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        // Swift generated from Protos/etcd (etcd's v3 gRPC API), for the etcd client only.
        .target(
            name: "EtcdAPI",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        // A small etcd v3 client (Range, Txn, Watch, Lease, Authenticate) over grpc-swift-2; knows nothing of meshes.
        .target(
            name: "EtcdClient",
            dependencies: [
                "EtcdAPI",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        // The leaf every layer may import: the one FNV-1a content hash and the one definition of the xDS type URLs.
        .target(name: "MeshPrimitives", swiftSettings: swiftSettings),
        .target(
            name: "MeshModel",
            // EnvoyAPI and SwiftProtobuf: EnvoyFilter patch values are decoded into Envoy's messages when read, so a
            // value that does not fit is refused like any other invalid field.
            dependencies: [
                "MeshPrimitives", "EnvoyAPI", .product(name: "Yams", package: "Yams"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Registry",
            dependencies: [
                "MeshModel", "MeshPrimitives", "EtcdClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GRPCTransportTuning",
            dependencies: [
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "XDSTranslator",
            dependencies: ["MeshModel", "EnvoyAPI", "MeshPrimitives"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "XDSServer",
            dependencies: [
                "EnvoyAPI", "MeshPrimitives",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CertificateAuthority",
            dependencies: [
                "EnvoyAPI",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "XDSClient",
            dependencies: [
                "EnvoyAPI", "GRPCTransportTuning",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AuthzSimulator",
            dependencies: [
                "MeshModel", "XDSTranslator", "EnvoyAPI",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Discovery",
            dependencies: [
                "MeshModel", "Registry", "XDSTranslator", "XDSServer", "EnvoyAPI", "CertificateAuthority",
                "GRPCTransportTuning",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AdminServer",
            dependencies: [
                "Discovery", "XDSServer", "MeshModel", "Registry", "XDSTranslator", "EnvoyAPI", "AuthzSimulator",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The composition root: `buildMeshd(_:)` wires the daemon from `MeshdOptions`, for `meshd serve` and every
        // in-process test harness.
        // Sidecar injection, shared by `meshd inject` and the injection webhook: YAML pod templates in, injected out.
        .target(
            name: "Injection",
            dependencies: ["MeshModel", "Discovery", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // istiod's webhook port (15017): sidecar injection and config validation over HTTPS.
        .target(
            name: "Webhooks",
            dependencies: [
                "Injection", "MeshModel", "Registry", "CertificateAuthority",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MeshdApp",
            dependencies: [
                "AdminServer", "Discovery", "Registry", "CertificateAuthority", "XDSServer", "XDSTranslator",
                "MeshModel", "EtcdClient", "Injection", "Webhooks",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "meshd",
            dependencies: [
                "MeshModel", "Registry", "XDSTranslator", "XDSServer", "Discovery", "AdminServer", "EnvoyAPI",
                "CertificateAuthority", "AuthzSimulator", "MeshdApp", "EtcdClient", "Injection",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "SyntheticMesh", swiftSettings: swiftSettings),
        .target(
            name: "MeshdReplay",
            dependencies: [
                "EnvoyAPI", "GRPCTransportTuning",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "meshd-load",
            dependencies: [
                "XDSClient", "EnvoyAPI", "MeshdReplay", "SyntheticMesh", "MeshPrimitives",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                // The raw floor: plain TCP connections, no HTTP/2.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MeshTestSupport",
            dependencies: [
                "MeshModel", "Injection",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/MeshTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MeshModelTests",
            dependencies: ["MeshModel", "MeshTestSupport"],
            swiftSettings: swiftSettings
        ),
        // The config store and its sources: files, directories, the mesh config file.
        .testTarget(
            name: "RegistryTests",
            dependencies: [
                "MeshModel", "Registry", "MeshTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "XDSTranslatorTests",
            dependencies: [
                "XDSTranslator", "MeshModel", "Registry", "EnvoyAPI", "MeshTestSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Golden")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "XDSServerTests",
            dependencies: [
                "XDSServer", "XDSClient", "MeshPrimitives", "EnvoyAPI", "Discovery", "MeshModel", "Registry",
                "MeshTestSupport", "GRPCTransportTuning", "MeshdApp",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CertificateAuthorityTests",
            dependencies: [
                "CertificateAuthority", "MeshTestSupport", "EnvoyAPI",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AdminServerTests",
            dependencies: [
                "AdminServer", "Discovery", "XDSServer", "XDSClient", "MeshModel", "Registry", "EnvoyAPI",
                "MeshTestSupport", "MeshdApp", "XDSTranslator",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DiscoveryTests",
            dependencies: [
                "Discovery", "XDSServer", "XDSTranslator", "MeshModel", "Registry", "MeshTestSupport", "EnvoyAPI",
                "CertificateAuthority",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        // Discovery's proxy authentication and SDS scope (Sources/Discovery/Security) over real gRPC on 127.0.0.1.
        .testTarget(
            name: "DiscoverySecurityTests",
            dependencies: [
                "Discovery", "XDSServer", "XDSClient", "EnvoyAPI", "MeshModel", "MeshTestSupport",
                "CertificateAuthority", "MeshdApp",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AuthzSimulatorTests",
            dependencies: [
                "AuthzSimulator", "XDSTranslator", "MeshModel", "EnvoyAPI", "Registry", "MeshTestSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProtoContractTests",
            dependencies: ["MeshTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KubernetesTests",
            dependencies: [
                "Registry", "MeshModel", "MeshTestSupport", "Discovery", "XDSServer", "XDSClient", "EnvoyAPI",
                "MeshdApp", "CertificateAuthority",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        // The etcd client and config source, against a real etcd-server started by the tests on 127.0.0.1.
        .testTarget(
            name: "EtcdTests",
            dependencies: [
                "EtcdClient", "Registry", "MeshModel", "MeshTestSupport", "MeshdApp", "meshd", "CertificateAuthority",
                "EnvoyAPI", "XDSClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LoadTests",
            dependencies: [
                "meshd-load", "SyntheticMesh", "MeshModel", "Registry", "EnvoyAPI", "XDSTranslator",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FuzzTargets",
            dependencies: [
                "EnvoyAPI", "MeshModel", "Registry", "XDSServer", "XDSTranslator",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AdminFuzzTarget",
            dependencies: [
                "FuzzTargets", "AdminServer", "Discovery", "Registry", "XDSServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FuzzRegressionTests",
            dependencies: ["FuzzTargets", "AdminFuzzTarget", "MeshTestSupport"],
            exclude: ["Inputs"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "E2ETests",
            dependencies: [
                "MeshTestSupport", "MeshModel", "CertificateAuthority", "Injection",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DeployTests",
            dependencies: [
                "meshd", "Discovery", "CertificateAuthority", "Registry", "MeshTestSupport", "MeshModel", "Injection",
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebhookTests",
            dependencies: [
                "Webhooks", "Injection", "MeshModel", "CertificateAuthority", "MeshTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
