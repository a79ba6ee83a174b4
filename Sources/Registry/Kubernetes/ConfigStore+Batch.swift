import MeshModel

extension ConfigStore {
    /// Applies several objects' decode results and removals under one lock and one snapshot rebuild, so that a LIST
    /// of a thousand objects publishes one snapshot rather than a thousand.
    func apply(batch: [(file: String, result: DecodeResult)], removing: [String]) {
        let appeared = state.withLock { state -> [ConfigDiagnostic] in
            for file in removing { state.remove(file: file) }
            for (file, result) in batch { state.apply(file: file, result: result) }
            return state.refresh()
        }
        for diagnostic in appeared {
            switch diagnostic.severity {
            case .error: logger.error("\(diagnostic.description)")
            case .warning: logger.warning("\(diagnostic.description)")
            }
        }
    }
}
