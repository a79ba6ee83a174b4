/// The Pods (with an IP) and WorkloadEntries of one snapshot build, indexed by namespace and by label, so that a
/// selector costs about what it selects rather than a scan of every workload in the mesh.
///
/// Built once per snapshot build from `SnapshotInputs`; immutable afterwards. Results keep the order of the inputs
/// (sorted by key), so the index changes no output, only its cost.
struct WorkloadIndex {
    /// The positions (into `pods` or `entries`) of one namespace's workloads, and of those carrying each label.
    struct Postings {
        var all: [Int] = []
        var byLabel: [String: [String: [Int]]] = [:]

        mutating func add(_ position: Int, labels: [String: String]) {
            all.append(position)
            for (key, value) in labels { byLabel[key, default: [:]][value, default: []].append(position) }
        }

        /// Positions whose labels contain every pair of `selector`, ascending. Walks only the shortest posting list
        /// of the selector's pairs and checks the rest against the labels.
        func select(_ selector: [String: String], labels: (Int) -> [String: String]) -> [Int] {
            guard !selector.isEmpty else { return all }
            var shortest: [Int]?
            for (key, value) in selector {
                guard let list = byLabel[key]?[value] else { return [] }
                if list.count < shortest?.count ?? Int.max { shortest = list }
            }
            guard let shortest else { return [] }
            if selector.count == 1 { return shortest }
            return shortest.filter { position in
                let own = labels(position)
                return selector.allSatisfy { own[$0.key] == $0.value }
            }
        }
    }

    let pods: [Pod]
    let entries: [WorkloadEntry]
    /// Each entry's effective labels (`spec.labels` over `metadata.labels`), by position.
    let entryLabels: [[String: String]]
    private let podsByNamespace: [String: Postings]
    private let entriesByNamespace: [String: Postings]

    init(pods: [Pod], entries: [WorkloadEntry]) {
        self.pods = pods
        self.entries = entries
        var podPostings: [String: Postings] = [:]
        for (position, pod) in pods.enumerated() where !(pod.podIP ?? "").isEmpty {
            podPostings[pod.meta.namespace, default: Postings()].add(position, labels: pod.meta.labels)
        }
        let labels = entries.map { $0.meta.labels.merging($0.spec.labels) { _, spec in spec } }
        var entryPostings: [String: Postings] = [:]
        for (position, entry) in entries.enumerated() {
            entryPostings[entry.meta.namespace, default: Postings()].add(position, labels: labels[position])
        }
        self.entryLabels = labels
        self.podsByNamespace = podPostings
        self.entriesByNamespace = entryPostings
    }

    /// The Pods of `namespace` that have an IP and whose labels contain `selector`.
    func pods(matching selector: [String: String], namespace: String) -> [Pod] {
        guard let postings = podsByNamespace[namespace] else { return [] }
        return postings.select(selector) { pods[$0].meta.labels }.map { pods[$0] }
    }

    /// The WorkloadEntries of `namespace` whose effective labels contain `selector`.
    func entries(matching selector: [String: String], namespace: String) -> [WorkloadEntry] {
        guard let postings = entriesByNamespace[namespace] else { return [] }
        return postings.select(selector) { entryLabels[$0] }.map { entries[$0] }
    }
}

extension SnapshotInputs {
    /// The index of this build's Pods and WorkloadEntries. Make it after every object has been added.
    func workloadIndex() -> WorkloadIndex {
        WorkloadIndex(pods: pods, entries: workloadEntries)
    }
}
