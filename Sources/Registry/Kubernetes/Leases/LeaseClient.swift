package import Foundation
import NIOCore

/// Reads and writes `coordination.k8s.io/v1` Leases with optimistic concurrency: `update` sends the
/// resourceVersion it read, so a write based on a stale read is refused (`LeaseClient.Conflict`), and `create`
/// refuses to replace an existing Lease (`LeaseClient.AlreadyExists`). Thread-safe (a value over a thread-safe client).
package struct LeaseClient: Sendable {
    /// `create`: the Lease exists already (HTTP 409 AlreadyExists).
    package struct AlreadyExists: Error, CustomStringConvertible {
        package var path: String
        package var description: String { "\(path) already exists" }
    }

    /// `update`: the Lease changed since it was read (HTTP 409 Conflict on a stale resourceVersion).
    package struct Conflict: Error, CustomStringConvertible {
        package var path: String
        package var description: String { "\(path) was modified since it was read" }
    }

    package let client: KubernetesClient
    /// The timeout of each call.
    package var timeout: Duration

    package init(client: KubernetesClient, timeout: Duration = .seconds(5)) {
        self.client = client
        self.timeout = timeout
    }

    var amount: TimeAmount { timeout.timeAmount }

    /// The Lease, or nil when there is none.
    package func get(namespace: String, name: String) async throws -> KubernetesLease? {
        let path = "\(KubernetesLease.collectionPath(namespace: namespace))/\(name)"
        let answer = try await client.send(.get, path, timeout: amount)
        if answer.status == 404 { return nil }
        try KubernetesClient.check(status: answer.status, body: answer.body, path: path)
        return try KubernetesLease(json: answer.body)
    }

    /// Creates `lease`; throws `AlreadyExists` when another writer created it first.
    package func create(_ lease: KubernetesLease) async throws -> KubernetesLease {
        var lease = lease
        lease.resourceVersion = ""
        let collection = KubernetesLease.collectionPath(namespace: lease.namespace)
        let answer = try await client.send(.post, collection, json: lease.json(), timeout: amount)
        if answer.status == 409 { throw AlreadyExists(path: lease.path) }
        try KubernetesClient.check(status: answer.status, body: answer.body, path: collection)
        return try KubernetesLease(json: answer.body)
    }

    /// Replaces `lease` if its `resourceVersion` is still the stored one; throws `Conflict` otherwise.
    package func update(_ lease: KubernetesLease) async throws -> KubernetesLease {
        let answer = try await client.send(.put, lease.path, json: lease.json(), timeout: amount)
        if answer.status == 409 { throw Conflict(path: lease.path) }
        try KubernetesClient.check(status: answer.status, body: answer.body, path: lease.path)
        return try KubernetesLease(json: answer.body)
    }

    /// Deletes the Lease; a Lease already gone is not an error.
    package func delete(namespace: String, name: String) async throws {
        let path = "\(KubernetesLease.collectionPath(namespace: namespace))/\(name)"
        let answer = try await client.send(.delete, path, timeout: amount)
        if answer.status == 404 { return }
        try KubernetesClient.check(status: answer.status, body: answer.body, path: path)
    }

    /// The Leases of a namespace that carry every label of `labels` (a `labelSelector` of `key=value` terms).
    /// An item that is not a Lease is skipped, not fatal: one bad object must not hide the others.
    package func list(namespace: String, labels: [String: String]) async throws -> [KubernetesLease] {
        let collection = KubernetesLease.collectionPath(namespace: namespace)
        let selector = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        let body = try await client.sendExpectingSuccess(
            .get, collection, query: selector.isEmpty ? [] : [("labelSelector", selector)], timeout: amount)
        guard let list = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
            let items = list["items"] as? [Any]
        else { throw KubernetesError.malformed("\(collection): list response without items") }
        return items.compactMap { item in
            guard let object = item as? [String: Any], let lease = try? KubernetesLease(object: object) else {
                return nil
            }
            return labels.allSatisfy { lease.labels[$0.key] == $0.value } ? lease : nil
        }
    }
}
