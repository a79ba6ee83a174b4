import MeshPrimitives

extension MeshSnapshot {
    /// This snapshot with `keys` (key sets fetched from `jwksUri`s, by URI) in force, and a version that covers
    /// them: a key rotation changes the version, and so makes a push, with no config object changing. With no keys
    /// the version is the store's own. Apply it once, to a snapshot as the store published it.
    public func withFetchedJWKS(_ keys: [String: String]) -> MeshSnapshot {
        var copy = self
        copy.fetchedJWKS = keys
        guard !keys.isEmpty else { return copy }
        var hash = FNV1a64()
        hash.add(version)
        for uri in keys.keys.sorted() {
            hash.add("\u{0}jwks\u{0}" + uri + "\u{0}")
            hash.add(keys[uri] ?? "")
        }
        copy.version = hash.hex
        return copy
    }
}
