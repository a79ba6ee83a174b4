import EtcdAPI
import Foundation
import GRPCCore

extension EtcdSession {
    /// Watches every key that starts with `prefix`, from `startRevision` (inclusive), and hands the messages to `body`
    /// in order. The watch stops when `body` returns.
    ///
    /// The sequence throws `EtcdError.compacted` when `startRevision` is older than etcd's compaction point (the
    /// caller must list again), `.watchCanceled` when etcd cancels the watch for another reason, `.watchEnded` when
    /// the stream closes, and `.call` when it breaks. With `progressNotify`, etcd sends `.progress` now and then,
    /// telling how far the watch has seen while nothing changed.
    public func watch<Result: Sendable>(
        prefix: String, startRevision: Int64, progressNotify: Bool = true,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (AsyncThrowingStream<EtcdWatchMessage, any Error>) async throws -> Result
    ) async throws -> Result {
        var create = Etcdserverpb_WatchCreateRequest()
        create.key = Data(prefix.utf8)
        create.rangeEnd = Data(EtcdKeys.rangeEnd(ofPrefix: Array(prefix.utf8)))
        create.startRevision = startRevision
        create.progressNotify = progressNotify
        var request = Etcdserverpb_WatchRequest()
        request.requestUnion = .createRequest(create)
        let (messages, continuation) = AsyncThrowingStream.makeStream(of: EtcdWatchMessage.self)
        let (stop, stopContinuation) = AsyncStream.makeStream(of: Void.self)
        let client = self.client
        let metadata = self.metadata
        let first = request
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self, isolation: isolation) { group in
            group.addTask {
                do {
                    try await Etcdserverpb_Watch.Client(wrapping: client).watch(
                        metadata: metadata, options: .defaults,
                        requestProducer: { writer in
                            try await writer.write(first)
                            // Keep the request side open for as long as the watch is read.
                            for await _ in stop {}
                        },
                        onResponse: { response in
                            defer { stopContinuation.finish() }
                            for try await message in response.messages {
                                if let end = Self.ending(message) {
                                    continuation.finish(throwing: end)
                                    return
                                }
                                continuation.yield(Self.message(message))
                            }
                            continuation.finish(throwing: EtcdError.watchEnded)
                        })
                    continuation.finish(throwing: EtcdError.watchEnded)
                } catch let error as RPCError {
                    continuation.finish(
                        throwing: EtcdError.call("watch", code: "\(error.code)", message: error.message))
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            defer {
                stopContinuation.finish()
                group.cancelAll()
            }
            return try await body(messages)
        }
    }

    /// The error a response ends the watch with, if it does.
    static func ending(_ response: Etcdserverpb_WatchResponse) -> EtcdError? {
        if response.compactRevision > 0 { return .compacted(atRevision: response.compactRevision) }
        if response.canceled { return .watchCanceled(reason: response.cancelReason) }
        return nil
    }

    static func message(_ response: Etcdserverpb_WatchResponse) -> EtcdWatchMessage {
        if response.created && response.events.isEmpty { return .created(headerRevision: response.header.revision) }
        if response.events.isEmpty { return .progress(revision: response.header.revision) }
        let events = response.events.map { event in
            EtcdEvent(kind: event.type == .delete ? .delete : .put, keyValue: EtcdKeyValue(event.kv))
        }
        return .events(events, headerRevision: response.header.revision)
    }
}
