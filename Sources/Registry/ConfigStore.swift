public import Logging
public import MeshModel
import Synchronization

/// Holds the last good configuration of every source file and publishes a new `MeshSnapshot` when it changes.
///
/// Thread-safe: all state sits behind one `Mutex`; snapshots are immutable values and can be shared freely.
/// A refused object never replaces its last good version, and an object declared in two files is kept from the
/// file that declared it first.
public final class ConfigStore: Sendable {
    let state: Mutex<StoreState>
    /// Serialises publications, so that subscribers see snapshots in order although they are yielded with `state`
    /// released (`rebuild`). Never taken while `state` is held.
    let publishing = Mutex(())
    let logger: Logger
    /// The generation counter and what changed at each generation; every snapshot published carries its
    /// generation (`MeshSnapshot.generation`). Stages after the store that publish snapshots of their own record here.
    public let changeLog: ChangeLog

    /// - Parameter outboundTrafficPolicyOverride: `--outbound-traffic-policy` when given explicitly; it wins over
    ///   the mesh config's `outboundTrafficPolicy.mode` in every snapshot.
    public init(
        logger: Logger = Logger(label: "meshd.registry"),
        outboundTrafficPolicyOverride: OutboundTrafficPolicyMode? = nil
    ) {
        self.logger = logger
        let changeLog = ChangeLog()
        self.changeLog = changeLog
        var initial = StoreState()
        initial.outboundTrafficPolicyOverride = outboundTrafficPolicyOverride
        initial.stampInitial(log: changeLog)
        if outboundTrafficPolicyOverride != nil {
            _ = initial.refresh(log: changeLog)
            _ = initial.takePublication()  // nobody subscribed yet
        }
        self.state = Mutex(initial)
    }

    /// Applies a decoded mesh config (`MeshConfigDecoder`): a clean one is placed into every snapshot from now on
    /// (a new version, so proxies are pushed); one with errors is refused and the last good one stays in force.
    /// Returns whether it was accepted.
    @discardableResult
    public func apply(meshConfig result: MeshConfigDecodeResult) -> Bool {
        update { state in state.apply(meshConfig: result) }
        return result.config != nil
    }

    /// The mesh config in force (with the outbound traffic policy override applied).
    public func meshConfig() -> MeshConfig {
        state.withLock { $0.snapshot.meshConfig }
    }

    /// Applies the decode result of one file. Clean objects replace or join; refused objects keep their previous
    /// good version; objects gone from a file that decoded without unattributable errors are removed.
    public func apply(file: String, result: DecodeResult) {
        update { state in state.apply(file: file, result: result) }
    }

    /// Forgets a file (it was deleted): its objects leave the snapshot, and objects it was shadowing in other files
    /// take effect.
    public func remove(file: String) {
        update { state in state.remove(file: file) }
    }

    /// The labels of every Kubernetes namespace (the Kubernetes source's Namespace watch): with the mesh config's
    /// `discoverySelectors`, objects read from Kubernetes in namespaces no selector matches leave the snapshot.
    public func setNamespaceLabels(_ labels: [String: [String: String]]) {
        update { state in state.namespaceLabels = labels }
    }

    /// The current snapshot.
    public func snapshot() -> MeshSnapshot {
        state.withLock { $0.snapshot }
    }

    /// Current errors and warnings across all files (decoding, validation and cross-file duplicates).
    public func diagnostics() -> [ConfigDiagnostic] {
        state.withLock { $0.diagnostics }
    }

    /// The objects in force, sorted by key.
    public func objects() -> [ConfigObject] {
        state.withLock { state in state.snapshot.objects.values.sorted { $0.key < $1.key } }
    }

    /// A stream that yields the current snapshot at once, then every snapshot with a different version. Each call
    /// gets its own stream; a slow reader only ever sees the newest pending snapshot.
    public func snapshots() -> AsyncStream<MeshSnapshot> {
        let (stream, continuation) = AsyncStream.makeStream(of: MeshSnapshot.self, bufferingPolicy: .bufferingNewest(1))
        // In order with the publications (`rebuild`); yielding to a stream nobody reads yet resumes no task.
        let id = publishing.withLock { _ in
            state.withLock { state in
                let id = state.addSubscriber(continuation)
                continuation.yield(state.snapshot)
                return id
            }
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in state.removeSubscriber(id) }
        }
        return stream
    }

    /// Runs a change, rebuilds the snapshot, publishes it if its version moved, and logs new diagnostics once.
    private func update(_ change: (inout StoreState) -> Void) {
        let appeared = rebuild(change)
        for diagnostic in appeared {
            switch diagnostic.severity {
            case .error: logger.error("\(diagnostic.description)")
            case .warning: logger.warning("\(diagnostic.description)")
            }
        }
    }
}

extension ConfigStore {
    /// Applies `change` and rebuilds the snapshot under the store's lock, then yields a snapshot whose version moved
    /// to the subscribers with that lock released, and returns the diagnostics that appeared.
    ///
    /// Yielding resumes a subscriber's task, which takes that task's status lock; cancelling a subscriber's task holds
    /// the same lock while its stream's termination handler takes the store's lock to unsubscribe. Yielding under the
    /// store's lock could therefore deadlock with a shutdown; `publishing` keeps the yields in order instead.
    func rebuild(_ change: (inout StoreState) -> Void) -> [ConfigDiagnostic] {
        publishing.withLock { _ in
            let (appeared, publication) = state.withLock { state in
                change(&state)
                let appeared = state.refresh(log: changeLog)
                return (appeared, state.takePublication())
            }
            if let publication {
                for subscriber in publication.subscribers { subscriber.yield(publication.snapshot) }
            }
            return appeared
        }
    }
}
