import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Tells a directory scan to run as soon as something below the directory changes, so an edit need not wait for the
/// next poll.
///
/// Linux only: inotify, read on a thread of its own. Elsewhere, or when inotify cannot be set up, it does nothing and
/// the caller's poll carries on alone. That poll also catches what inotify cannot see: network mounts, an
/// overflowing event queue, a full watch table, files reached through a symbolic link to outside the tree.
enum DirectoryWatcher {
    /// Runs `body` while `directory` and its subdirectories are watched. `onChange` is called from the watcher
    /// thread after each batch of events that may have changed what a scan reads, and once when the watches are
    /// first in place. `onFailure` is called with the failed call's name (`inotify_init`, `inotify_add_watch`,
    /// `inotify_read`, ...) so that it can be counted; the poll covers what the watcher then misses. Returns only after
    /// the thread has stopped and closed its descriptors.
    static func watching(
        _ directory: String, logger: Logger, onChange: @escaping @Sendable () -> Void,
        onFailure: @escaping @Sendable (_ operation: String) -> Void = { _ in }, body: () async -> Void
    ) async {
        #if canImport(Glibc)
            guard let thread = InotifyThread.start(directory, logger: logger, onChange: onChange, onFailure: onFailure)
            else {
                await body()
                return
            }
            await body()
            await thread.stop()
        #else
            await body()
        #endif
    }
}

#if canImport(Glibc)
    /// The thread that runs an `InotifyLoop`, and how it is told to stop.
    ///
    /// Ownership: the thread owns the inotify descriptor and the stop pipe's read end and closes them on its way out;
    /// `stop()` owns the write end. Thread-safe.
    private final class InotifyThread: Sendable {
        private enum Phase {
            case running
            case stopping(CheckedContinuation<Void, Never>)
            case finished
        }

        private let stopWriter: Int32
        private let phase = Mutex(Phase.running)

        private init(stopWriter: Int32) {
            self.stopWriter = stopWriter
        }

        /// Starts watching, or returns nil after saying why (once, at info) when inotify or the pipe cannot be had.
        static func start(
            _ directory: String, logger: Logger, onChange: @escaping @Sendable () -> Void,
            onFailure: @escaping @Sendable (String) -> Void
        ) -> InotifyThread? {
            let inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            guard inotify >= 0 else {
                let reason = InotifyLoop.describe(errno)
                logger.info("inotify unavailable (\(reason)); \(directory) is only polled")
                onFailure("inotify_init")
                return nil
            }
            var pipeEnds: [Int32] = [-1, -1]
            guard pipe(&pipeEnds) == 0 else {
                let reason = InotifyLoop.describe(errno)
                logger.info("cannot make a pipe (\(reason)); \(directory) is only polled")
                onFailure("pipe")
                close(inotify)
                return nil
            }
            for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            let stopReader = pipeEnds[0]
            let watcher = InotifyThread(stopWriter: pipeEnds[1])
            let thread = Thread {
                var loop = InotifyLoop(inotify: inotify, root: directory, logger: logger, onFailure: onFailure)
                loop.run(until: stopReader, onChange: onChange)
                close(inotify)
                close(stopReader)
                watcher.finished()
            }
            thread.name = "meshd-inotify"
            thread.start()
            return watcher
        }

        /// Wakes the thread through the pipe and waits until it has closed its descriptors.
        func stop() async {
            var byte: UInt8 = 1
            _ = write(stopWriter, &byte, 1)
            await withCheckedContinuation { continuation in
                let alreadyFinished = phase.withLock { phase in
                    if case .finished = phase { return true }
                    phase = .stopping(continuation)
                    return false
                }
                if alreadyFinished { continuation.resume() }
            }
            close(stopWriter)
        }

        /// Called by the thread as its last act; it may end on its own first, if its descriptor failed.
        private func finished() {
            let waiter = phase.withLock { phase -> CheckedContinuation<Void, Never>? in
                defer { phase = .finished }
                if case .stopping(let continuation) = phase { return continuation }
                return nil
            }
            waiter?.resume()
        }
    }
#endif
