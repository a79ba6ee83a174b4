// The guard of the generators' declared dependencies (`ConfigDependencies`, beside each generator). An update
// re-generates and offers only the types whose declared dependencies its change set touches; every other type
// keeps its cached sets and is not re-sent. A declaration that misses an input would leave proxies on stale config.
// So, for every golden mesh, each object (and each security policy, the mesh config) is removed in turn and added
// back, and after each update: what the cache serves equals a fresh translation, and a type the push skipped for a
// proxy is exactly what a fresh translation gives under the new snapshot.

import Foundation
import MeshModel
import MeshTestSupport
import Testing
import XDSServer
import XDSTranslator

@testable import Discovery

@Suite("Declared generator dependencies: what a push skips is unchanged")
struct DependencyDeclarationTests {
    static let types: [XDSType] = [.cluster, .endpoint, .listener, .route]

    /// One change to check: the snapshot after it, and the change set the store would hand on.
    struct Mutation {
        var label: String
        var snapshot: MeshSnapshot
        var changes: ChangeSet
    }

    /// The case's proxies and a few variants of them, each also with an identity (mesh TLS, SDS names).
    static func proxies(of mesh: GoldenMeshCase, in snapshot: MeshSnapshot) throws -> [(String, Proxy)] {
        var generator = SeededGenerator(seed: 15)
        let bases = try mesh.proxies().map { try $0.proxy() }
        let variants = ProxyVariants.of(bases, in: snapshot, randomCount: 2, using: &generator).prefix(6)
        return variants.flatMap { variant -> [(String, Proxy)] in
            var identified = variant.proxy
            identified.workloadIdentity = WorkloadIdentity(
                namespace: identified.namespace, serviceAccount: identified.serviceAccount ?? "default")
            return [(variant.label, variant.proxy), (variant.label + ", with identity", identified)]
        }
    }

    static func mutations(of mesh: GoldenMeshCase) throws -> (full: MeshSnapshot, [Mutation]) {
        let full = try mesh.snapshot()
        let policies = full.authorizationPolicies.values.flatMap { $0 }
        let authentications = full.requestAuthentications.values.flatMap { $0 }
        func rebuilt(without key: ResourceKey?) -> MeshSnapshot {
            var snapshot = MeshSnapshot.build(
                from: full.objects.values.filter { $0.key != key }.sorted { $0.key < $1.key })
            snapshot.apply(meshConfig: full.meshConfig)
            snapshot.indexSecurityPolicies(authorization: policies, requestAuthentication: authentications)
            return full.fetchedJWKS.isEmpty ? snapshot : snapshot.withFetchedJWKS(full.fetchedJWKS)
        }
        var result: [Mutation] = []
        for key in full.objects.keys.sorted() {
            let snapshot = rebuilt(without: key)
            result.append(
                Mutation(label: "without \(key)", snapshot: snapshot, changes: ChangeSet(from: full, to: snapshot)))
        }
        let source = SourceLocation(file: "security.json", document: 1)
        for (index, policy) in policies.enumerated() {
            var snapshot = rebuilt(without: nil)
            var rest = policies
            rest.remove(at: index)
            snapshot.indexSecurityPolicies(authorization: rest, requestAuthentication: authentications)
            let key = ResourceKey(kind: .authorizationPolicy, namespace: policy.meta.namespace, name: policy.meta.name)
            result.append(
                Mutation(
                    label: "without \(key)", snapshot: snapshot,
                    changes: ChangeSet(objects: [ObjectChange(key: key, action: .removed, source: source)])))
        }
        for (index, policy) in authentications.enumerated() {
            var snapshot = rebuilt(without: nil)
            var rest = authentications
            rest.remove(at: index)
            snapshot.indexSecurityPolicies(authorization: policies, requestAuthentication: rest)
            let key = ResourceKey(
                kind: .requestAuthentication, namespace: policy.meta.namespace, name: policy.meta.name)
            result.append(
                Mutation(
                    label: "without \(key)", snapshot: snapshot,
                    changes: ChangeSet(objects: [ObjectChange(key: key, action: .removed, source: source)])))
        }
        if full.meshConfig != .default {
            var snapshot = rebuilt(without: nil)
            snapshot.apply(meshConfig: .default)
            result.append(
                Mutation(label: "default mesh config", snapshot: snapshot, changes: ChangeSet(meshConfig: true)))
        }
        return (full, result)
    }

    /// The changes that turn `mutation`'s snapshot back into `full`: every object change reversed.
    static func reversed(_ changes: ChangeSet) -> ChangeSet {
        var back = changes
        back = ChangeSet(
            objects: changes.sortedObjects.map { object in
                let action: ObjectChange.Action =
                    switch object.action {
                    case .added: .removed
                    case .removed: .added
                    case .updated: .updated
                    }
                return ObjectChange(key: object.key, action: action, source: object.source)
            }, meshConfig: changes.meshConfig, fetchedJWKS: changes.fetchedJWKS,
            endpointHostnames: changes.endpointHostnames)
        return back
    }

    @Test("removing or adding any one object re-sends every type it changes", arguments: GoldenCorpus.meshCases)
    func skippedTypesAreUnchanged(_ mesh: GoldenMeshCase) async throws {
        let (full, mutations) = try Self.mutations(of: mesh)
        let variants = try Self.proxies(of: mesh, in: full)
        let fresh = XDSTranslator()
        for mutation in mutations {
            for (from, to, changes, direction) in [
                (full, mutation.snapshot, mutation.changes, "removed"),
                (mutation.snapshot, full, Self.reversed(mutation.changes), "added back"),
            ] {
                let provider = MeshResourceProvider(snapshot: from)
                var held: [String: [XDSType: [XDSResource]]] = [:]
                for (label, proxy) in variants {
                    for type in Self.types {
                        held[label, default: [:]][type] = await provider.resources(type, for: ProxyClient(proxy: proxy))
                            .resources
                    }
                }
                let offered = provider.update(to, generation: 2, changes: changes)
                for (label, proxy) in variants {
                    let client = ProxyClient(proxy: proxy)
                    let pushed = provider.pushScope(PushRequest(types: offered, generation: 2), for: client).types
                    for type in Self.types {
                        let expected = try fresh.generate(typeURL: type.rawValue, snapshot: to, proxy: proxy)
                            .map { try XDSResource(name: $0.name, resource: $0.resource) }
                        let served = await provider.resources(type, for: client).resources
                        if served != expected {
                            Issue.record(
                                "\(mesh.name), \(mutation.label) \(direction): \(type.shortName) served to '\(label)' is stale"
                            )
                        }
                        if !pushed.contains(type), held[label]?[type] != expected {
                            let names = offered.map(\.shortName).sorted().joined(separator: ",")
                            Issue.record(
                                "\(mesh.name), \(mutation.label) \(direction): \(type.shortName) changed for '\(label)' but the push skipped it (offered \(names))"
                            )
                        }
                    }
                }
            }
        }
    }

    @Test func anAuthorizationPolicyEditMovesOnlyLDS() throws {
        let (full, mutations) = try Self.mutations(of: GoldenCorpus.meshCase("authz-sidecar"))
        let policyEdit = try #require(mutations.first { $0.changes.kinds == [.authorizationPolicy] })
        let provider = MeshResourceProvider(snapshot: full)
        #expect(provider.update(policyEdit.snapshot, generation: 2, changes: policyEdit.changes) == [XDSType.listener])
    }
}
