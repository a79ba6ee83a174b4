/// Why `buildMeshd(_:)` could not assemble the daemon; the message names the `meshd serve` flag at fault.
public struct MeshdSetupError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
