import MeshModel

/// The mutable state of a `ConfigStore`, only ever touched under its lock.
struct StoreState: ~Copyable {
    /// What one file contributes.
    struct FileState {
        /// When the file was first loaded; the earlier file wins a duplicate key.
        var loadOrder: Int
        /// The objects this file declares now, including last good versions of refused ones, each hashed once when
        /// it was stored.
        var objects: [ResourceKey: HashedConfigObject]
        /// Decoding and validation diagnostics of the file's latest content.
        var diagnostics: [ConfigDiagnostic]
        /// Which source the file came from: of two declarations of one object, the lower precedence wins whatever
        /// the load order (files and Kubernetes objects before etcd keys; see `SourcePrecedence`).
        var precedence = SourcePrecedence.files
    }

    private(set) var files: [String: FileState] = [:]
    /// The last good mesh config (istiod's defaults until one is accepted) and the diagnostics of the latest
    /// mesh config text, whether it was accepted or not.
    private(set) var meshConfig = MeshConfig.default
    private var meshConfigDiagnostics: [ConfigDiagnostic] = []
    /// `--outbound-traffic-policy` when given: it wins over the mesh config's `outboundTrafficPolicy.mode`.
    var outboundTrafficPolicyOverride: OutboundTrafficPolicyMode?
    private var nextLoadOrder = 0
    private(set) var snapshot = MeshSnapshot.build(from: [])
    private(set) var diagnostics: [ConfigDiagnostic] = []
    /// `istioctl analyze`-style warnings of the current snapshot, and the version they were computed for.
    private var analysis: (version: String, warnings: [ConfigDiagnostic])?
    /// How many snapshots `refresh` has built: a batch of files costs one.
    private(set) var builds = 0
    /// The content hash of every object in the current snapshot, by key: what the next snapshot is compared with
    /// to say what changed.
    private var inForceHashes: [ResourceKey: UInt64] = [:]
    private var subscribers: [Int: AsyncStream<MeshSnapshot>.Continuation] = [:]
    private var nextSubscriber = 0
    /// A snapshot `refresh` built with a new version, for `takePublication` to hand out after the lock is released.
    private var pendingPublication: MeshSnapshot?
    /// The labels of the Kubernetes namespaces, for the mesh config's `discoverySelectors` (`setNamespaceLabels`).
    var namespaceLabels: [String: [String: String]] = [:]

    /// Stores a file's decode result. `keeping` names objects the file no longer declares that must stay at their
    /// last version for now (a file source holds a removal through its quiet period).
    mutating func apply(
        file: String, result: DecodeResult, keeping: Set<ResourceKey> = [], precedence: SourcePrecedence = .files
    ) {
        let previous = files[file]
        var objects: [ResourceKey: HashedConfigObject] = [:]
        for object in result.objects {
            // An object the file declares unchanged keeps its hash: a reload hashes only what was edited.
            objects[object.key] = previous?.objects[object.key]?.replaced(by: object) ?? HashedConfigObject(object)
        }
        if let previous {
            for (key, old) in previous.objects where objects[key] == nil {
                // A refused document keeps its last good object. When the file has an error that names no object,
                // we cannot tell what it meant to declare, so nothing is removed.
                if result.hasUnattributedErrors || result.refusedKeys.contains(key) || keeping.contains(key) {
                    objects[key] = old
                }
            }
        }
        let order = previous?.loadOrder ?? nextLoadOrder
        if previous == nil { nextLoadOrder += 1 }
        files[file] = FileState(
            loadOrder: order, objects: objects, diagnostics: result.errors + result.warnings, precedence: precedence)
    }

    /// The keys a file declares now, including last good versions of refused objects.
    func declaredKeys(in file: String) -> Set<ResourceKey> {
        files[file].map { Set($0.objects.keys) } ?? []
    }

    mutating func remove(file: String) {
        files[file] = nil
    }

    /// Takes a decoded mesh config: a clean one replaces the one in force; one with errors keeps the last good one.
    /// Its diagnostics replace those of the previous mesh config text either way.
    mutating func apply(meshConfig result: MeshConfigDecodeResult) {
        if let config = result.config { meshConfig = config }
        meshConfigDiagnostics = result.errors + result.warnings
    }

    /// The mesh config snapshots carry: the last good one, with the flag override applied.
    var effectiveMeshConfig: MeshConfig {
        var config = meshConfig
        if let outboundTrafficPolicyOverride { config.outboundTrafficPolicy = outboundTrafficPolicyOverride }
        return config
    }

    mutating func addSubscriber(_ continuation: AsyncStream<MeshSnapshot>.Continuation) -> Int {
        nextSubscriber += 1
        subscribers[nextSubscriber] = continuation
        return nextSubscriber
    }

    mutating func removeSubscriber(_ id: Int) {
        subscribers[id] = nil
    }

    /// The snapshot the last `refresh` published, if its version moved, and the subscribers to yield it to; cleared.
    /// The caller yields once the store's lock is released (`ConfigStore.rebuild`).
    mutating func takePublication() -> (snapshot: MeshSnapshot, subscribers: [AsyncStream<MeshSnapshot>.Continuation])?
    {
        guard let snapshot = pendingPublication else { return nil }
        pendingPublication = nil
        return (snapshot, Array(subscribers.values))
    }

    /// Resolves duplicates across files, rebuilds the snapshot, marks it for publication (`takePublication`) when its
    /// version changed, and returns the diagnostics that were not there before.
    mutating func refresh(log: ChangeLog) -> [ConfigDiagnostic] {
        let ordered = files.sorted {
            ($0.value.precedence.rawValue, $0.value.loadOrder, $0.key)
                < ($1.value.precedence.rawValue, $1.value.loadOrder, $1.key)
        }
        var owner: [ResourceKey: String] = [:]
        var ownerPrecedence: [ResourceKey: SourcePrecedence] = [:]
        var inForce: [HashedConfigObject] = []
        var duplicates: [ConfigDiagnostic] = []
        let meshConfig = effectiveMeshConfig
        for (file, state) in ordered {
            // discoverySelectors: objects read from Kubernetes in a namespace outside the scope are ignored entirely,
            // as istiod ignores them (a namespace not listed yet has no labels).
            if !meshConfig.discoverySelectors.isEmpty, file.hasPrefix(KubernetesSource.filePrefix) {
                let namespace = state.objects.keys.first?.namespace ?? ""
                if !namespace.isEmpty, !meshConfig.discovers(namespaceLabels: namespaceLabels[namespace] ?? [:]) {
                    continue
                }
            }
            for (key, object) in state.objects.sorted(by: { $0.key < $1.key }) {
                if let first = owner[key] {
                    let why =
                        ownerPrecedence[key] == state.precedence
                        ? "which was loaded first and stays in force"
                        : "which stays in force (\(SourcePrecedence.rule))"
                    duplicates.append(
                        ConfigDiagnostic(
                            file: file, document: object.object.source.document, line: object.object.source.line,
                            object: key,
                            fieldPath: "",
                            reason: "\(key) is also declared in \(first), \(why); "
                                + "this declaration in \(file) is ignored",
                            severity: .error))
                } else {
                    owner[key] = file
                    ownerPrecedence[key] = state.precedence
                    inForce.append(object)
                }
            }
        }
        let before = Set(diagnostics)
        let next = MeshSnapshot.build(hashed: inForce, meshConfig: meshConfig)
        if analysis?.version != next.version { analysis = (next.version, ConfigAnalysis.analyze(next)) }
        diagnostics =
            meshConfigDiagnostics + ordered.flatMap(\.value.diagnostics) + duplicates + (analysis?.warnings ?? [])
        builds += 1
        if next.version != snapshot.version {
            let generation = log.record(changes(to: next, inForce: inForce))
            snapshot = next.stamped(generation: generation)
            pendingPublication = snapshot
        } else {
            snapshot = next.stamped(generation: snapshot.generation)
        }
        return diagnostics.filter { !before.contains($0) }
    }

    /// Records the empty snapshot a store starts with, so that every snapshot it hands out has a generation.
    mutating func stampInitial(log: ChangeLog) {
        snapshot = snapshot.stamped(generation: log.record(.unknown))
    }

    /// What `next` changes of the current snapshot, and records the hashes of its objects for the next comparison.
    /// Objects compare by content hash; endpoints are compared only when a kind that places them changed.
    private mutating func changes(to next: MeshSnapshot, inForce: [HashedConfigObject]) -> ChangeSet {
        var objects: [ObjectChange] = []
        var hashes = [ResourceKey: UInt64](minimumCapacity: inForce.count)
        for object in inForce {
            hashes[object.key] = object.contentHash
            switch inForceHashes[object.key] {
            case nil: objects.append(ObjectChange(key: object.key, action: .added, source: object.object.source))
            case let old? where old != object.contentHash:
                objects.append(ObjectChange(key: object.key, action: .updated, source: object.object.source))
            default: break
            }
        }
        for key in inForceHashes.keys where hashes[key] == nil {
            if let source = snapshot.objects[key]?.source {
                objects.append(ObjectChange(key: key, action: .removed, source: source))
            }
        }
        inForceHashes = hashes
        let placing: Set<ResourceKind> = ChangeSet.workloadKinds.union([.service, .serviceEntry])
        let hostnames =
            objects.contains { placing.contains($0.key.kind) } ? next.endpointHostnames(changedSince: snapshot) : []
        return ChangeSet(
            objects: objects, meshConfig: next.meshConfig != snapshot.meshConfig, endpointHostnames: hostnames)
    }
}

/// Which kind of source declared an object, when two declare the same one: the lower raw value wins.
///
/// The one rule: files (and Kubernetes objects) take precedence over etcd. A file is local and explicit, the
/// operator's override on this replica; etcd's copy of the same object is ignored and reported. Among sources of one
/// precedence, the one loaded first stays in force.
enum SourcePrecedence: Int, Sendable, Hashable {
    case files = 0
    case etcd = 1

    static let rule = "files take precedence over etcd"
}
