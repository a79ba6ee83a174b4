public import MeshPrimitives

extension XDSResource {
    /// The same resource, naming `sources` (sorted and unique) as the objects it was generated from. Bytes and
    /// version are unchanged.
    ///
    /// Only the keys are carried: the array the generator made is shared, not copied, by every cached set and every
    /// connection's record of what it was sent. Where an object is written (file and line) is looked up when someone
    /// asks (a NACK explanation, a diff), in the configuration as it is then, so it is never stale and costs nothing
    /// on the push path.
    public func withSources(_ sources: [ResourceKey]) -> XDSResource {
        var resource = self
        resource.sources = sources
        return resource
    }
}
