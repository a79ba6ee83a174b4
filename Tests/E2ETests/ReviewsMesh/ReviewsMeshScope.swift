import MeshTestSupport
import Testing

/// Runs a suite inside one reviews mesh: built before the suite's first test, torn down after its last one,
/// on failure too.
struct ReviewsMeshScope: SuiteTrait, TestScoping {
    /// Sidecars speak Delta ADS (`meshd bootstrap --delta`).
    var delta = false
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await MeshNetwork.with(label: delta ? "reviews-delta" : "reviews") { network in
            let mesh = try await ReviewsMesh.start(in: network, delta: delta)
            try await ReviewsMesh.$current.withValue(mesh) { try await function() }
        }
    }
}

extension Trait where Self == ReviewsMeshScope {
    /// The suite's tests share one running reviews mesh (`ReviewsMesh.require()`).
    static var reviewsMesh: Self { Self() }

    /// The same mesh with every sidecar on Delta ADS.
    static var deltaReviewsMesh: Self { Self(delta: true) }
}
