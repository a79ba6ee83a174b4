public import MeshPrimitives

/// The xDS resource types the server knows; defined in `MeshPrimitives`, beside the content hash, so that the
/// translator's `TypeURL` reads the same type URLs without importing the server.
public typealias XDSType = MeshPrimitives.XDSType
