public import ServiceLifecycle
import Synchronization
public import XDSServer

#if canImport(Glibc)
    import Glibc
#endif

/// Gives memory freed after a burst of pushes back to the operating system.
///
/// Serialising a response for a stream allocates a buffer as large as the response (megabytes for CDS on a big
/// mesh), and thousands of streams syncing at once allocate thousands of them. glibc keeps freed memory in its
/// arenas, so without this a meshd that once served a reconnect storm keeps that peak as its RSS for good. When
/// responses were sent and then the pushes went quiet for a tick (or every `maxDelay` during a long burst), this
/// calls `malloc_trim(0)`, which returns free pages from every arena. Thread-safe; a no-op off glibc.
public final class HeapTrimmer: Service, XDSEventObserver, Sendable {
    private let sentSinceTrim = Atomic<Int>(0)
    private let tick: Duration
    private let maxDelay: Duration

    public init(tick: Duration = .seconds(1), maxDelay: Duration = .seconds(5)) {
        self.tick = tick
        self.maxDelay = maxDelay
    }

    public func observe(_ event: XDSEvent) {
        if case .sent = event { sentSinceTrim.add(1, ordering: .relaxed) }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.trimWhenQuiet() }
    }

    private func trimWhenQuiet() async {
        var lastCount = 0
        var dirtySince: ContinuousClock.Instant?
        while !Task.isCancelled {
            try? await Task.sleep(for: tick)
            let count = sentSinceTrim.load(ordering: .relaxed)
            let now = ContinuousClock.now
            if count != lastCount {
                lastCount = count
                let since = dirtySince ?? now
                dirtySince = since
                guard now - since >= maxDelay else { continue }
            } else if dirtySince == nil {
                continue
            }
            Self.trim()
            dirtySince = nil
        }
    }

    /// Returns free heap pages to the system now.
    public static func trim() {
        mallocTrim?(0)
    }

    /// glibc's `malloc_trim`, looked up at run time: Swift's Glibc module does not import `<malloc.h>`.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
            guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "malloc_trim") else { return nil }
            return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
            return nil
        #endif
    }()
}
