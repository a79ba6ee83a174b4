import EtcdClient
public import Logging

/// The leader's duty of writing every etcd config key's validation status under `<prefix>/_status/`
/// (`ConfigStatusReport`), once for the whole replica set.
///
/// On becoming leader it reads what is stored, then every `interval` it compares the store's statuses with it and
/// writes only the differences (new and changed statuses, deletions of statuses whose key is gone), in fenced
/// transactions of at most `maxOperations` operations. A replica that is no longer leader has its write refused and
/// stops (`LeaderFence.Deposed`); the next leader starts from what etcd holds, so a failover rewrites nothing.
public struct ConfigStatusDuty: LeaderDuty {
    public let store: ConfigStore
    public let layout: EtcdKeyLayout
    public let interval: Duration
    public let maxOperations: Int
    let logger: Logger

    public static let dutyName = "config-status"
    public var name: String { Self.dutyName }

    public init(
        store: ConfigStore, layout: EtcdKeyLayout, interval: Duration = .seconds(1), maxOperations: Int = 100,
        logger: Logger
    ) {
        self.store = store
        self.layout = layout
        self.interval = interval
        self.maxOperations = max(1, maxOperations)
        self.logger = logger
    }

    public func run(_ fence: LeaderFence) async throws {
        let prefix = ConfigStatusReport.statusPrefix(layout)
        var stored: [String: [UInt8]] = [:]
        for keyValue in try await fence.list(prefix: prefix).keyValues { stored[keyValue.key] = keyValue.value }
        while !Task.isCancelled {
            let wanted = ConfigStatusReport.statuses(
                objects: store.objects(), diagnostics: store.diagnostics(), layout: layout
            ).mapValues(ConfigStatusReport.encode)
            var operations: [EtcdTransaction.Operation] = []
            for (key, value) in wanted.sorted(by: { $0.key < $1.key }) where stored[key] != value {
                operations.append(.put(key, value: value))
            }
            for key in stored.keys.sorted() where wanted[key] == nil { operations.append(.delete(key)) }
            var start = 0
            while start < operations.count {
                let chunk = Array(operations[start..<min(start + maxOperations, operations.count)])
                try await fence.write(chunk)
                for operation in chunk {
                    switch operation {
                    case .put(let key, let value, _): stored[key] = value
                    case .delete(let key): stored[key] = nil
                    default: break
                    }
                }
                start += chunk.count
            }
            if !operations.isEmpty {
                logger.info("wrote config status", metadata: ["keys": "\(operations.count)"])
            }
            try await Task.sleep(for: interval)
        }
    }
}
