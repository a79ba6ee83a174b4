import MeshModel

extension ConfigStore {
    /// Applies several objects' decode results and removals under one lock and one snapshot rebuild, so that a LIST
    /// of a thousand objects publishes one snapshot rather than a thousand.
    func apply(batch: [(file: String, result: DecodeResult)], removing: [String]) {
        apply(batch: batch.map { ($0.file, $0.result, []) }, removing: removing)
    }

    /// The same, where each file may keep objects it no longer declares at their last version (`StoreState.apply`).
    func apply(
        batch: [(file: String, result: DecodeResult, keeping: Set<ResourceKey>)], removing: [String],
        precedence: SourcePrecedence = .files
    ) {
        let appeared = rebuild { state in
            for file in removing { state.remove(file: file) }
            for (file, result, keeping) in batch {
                state.apply(file: file, result: result, keeping: keeping, precedence: precedence)
            }
        }
        for diagnostic in appeared {
            switch diagnostic.severity {
            case .error: logger.error("\(diagnostic.description)")
            case .warning: logger.warning("\(diagnostic.description)")
            }
        }
    }

    /// The keys `file` declares now.
    func declaredKeys(in file: String) -> Set<ResourceKey> {
        state.withLock { $0.declaredKeys(in: file) }
    }
}
