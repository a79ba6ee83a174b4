#if canImport(Glibc)
    import Foundation
    import Glibc
    import Logging

    /// The watcher thread's side of `DirectoryWatcher`: the inotify descriptor, the directory each watch stands for,
    /// and the loop that turns a burst of events into one wake-up.
    ///
    /// Owned by that one thread, so it needs no lock. It never scans; it only says that a scan is due.
    struct InotifyLoop {
        /// Events after which the tree may read differently. `IN_MODIFY` is left out on purpose: it fires mid-write,
        /// and a scan then would decode half a file; `IN_CLOSE_WRITE` follows when the writer is done.
        static let scanEvents = UInt32(
            IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF)
        static let watchMask = scanEvents | UInt32(IN_MOVE_SELF | IN_ONLYDIR)
        /// How often the loop retries while the configured directory itself is not watched (missing, or moved away).
        static let rootRetryMilliseconds: Int32 = 1000

        let inotify: Int32
        let root: String
        let logger: Logger
        /// Told the name of each call that failed, for counting.
        let onFailure: (String) -> Void
        private var directories: [Int32: String] = [:]
        private var rootWatch: Int32?
        private var reportedWatchFailure = false

        init(inotify: Int32, root: String, logger: Logger, onFailure: @escaping (String) -> Void = { _ in }) {
            self.inotify = inotify
            self.root = root
            self.logger = logger
            self.onFailure = onFailure
        }

        /// Blocks until `stop` becomes readable, calling `onChange` once per drained batch of events that call for a
        /// scan. Also calls it once as soon as the tree is first watched, for whatever changed before the watches
        /// existed. Returns early, after logging, if the descriptor fails: the caller's poll carries on without it.
        mutating func run(until stop: Int32, onChange: () -> Void) {
            if watchRoot() { onChange() }
            let buffer = UnsafeMutableRawBufferPointer.allocate(
                byteCount: 64 * 1024, alignment: MemoryLayout<Int32>.alignment)
            defer { buffer.deallocate() }
            while true {
                var descriptors = [
                    pollfd(fd: inotify, events: Int16(POLLIN), revents: 0),
                    pollfd(fd: stop, events: Int16(POLLIN), revents: 0),
                ]
                let ready = poll(&descriptors, 2, rootWatch == nil ? Self.rootRetryMilliseconds : -1)
                if ready < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    logger.info("inotify wait for \(root) failed (\(Self.describe(code))); changes wait for the poll")
                    onFailure("inotify_poll")
                    return
                }
                if descriptors[1].revents != 0 { return }
                var changed = false
                // The configured directory is back after it was missing, deleted or moved: read what it holds now.
                if rootWatch == nil { changed = watchRoot() }
                let inotifyEvents = descriptors[0].revents
                if inotifyEvents & Int16(POLLIN) != 0 {
                    guard let drained = drain(into: buffer) else { return }
                    if drained { changed = true }
                } else if inotifyEvents != 0 {
                    logger.info("inotify descriptor for \(root) failed; changes wait for the poll")
                    onFailure("inotify_poll")
                    return
                }
                if changed { onChange() }
            }
        }

        /// Reads every pending event. Returns whether any of them calls for a scan, or nil if the descriptor failed.
        private mutating func drain(into buffer: UnsafeMutableRawBufferPointer) -> Bool? {
            var changed = false
            while true {
                let count = read(inotify, buffer.baseAddress, buffer.count)
                if count < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    if code == EAGAIN || code == EWOULDBLOCK { return changed }
                    logger.info("inotify read for \(root) failed (\(Self.describe(code))); changes wait for the poll")
                    onFailure("inotify_read")
                    return nil
                }
                if count == 0 { return changed }
                for event in InotifyEvent.parse(UnsafeRawBufferPointer(rebasing: buffer[..<count])) {
                    if handle(event) { changed = true }
                }
            }
        }

        /// Keeps the watch table in step with one event and says whether the event calls for a scan.
        private mutating func handle(_ event: InotifyEvent) -> Bool {
            if event.has(IN_Q_OVERFLOW) {
                // Events were lost, perhaps a new directory among them: watch the tree again and scan.
                if rootWatch != nil { rootWatch = watchTree(root) }
                return true
            }
            if event.has(IN_IGNORED) {
                directories[event.watch] = nil
                guard event.watch == rootWatch else { return false }
                forgetAll()
                return true
            }
            if event.watch == rootWatch, event.has(IN_MOVE_SELF) {
                // The watch follows the directory to its new name, but the configured path is what is read.
                forgetAll()
                return true
            }
            // A watch already forgotten; what it reported is covered by the scan that forgetting it caused.
            guard let parent = directories[event.watch] else { return false }
            let path = parent + "/" + event.name
            if event.has(IN_ISDIR), event.has(IN_CREATE | IN_MOVED_TO) {
                // Hidden directories are skipped as the scanner skips them. A ConfigMap's `..data` swap is still seen:
                // it is a rename in the watched directory itself.
                if !event.name.hasPrefix(".") { _ = watchTree(path) }
                return true
            }
            if event.has(IN_CREATE) { return !isBeingWritten(path) }
            return event.mask & Self.scanEvents != 0
        }

        /// Watches the configured directory's tree afresh. False while it is missing or cannot be watched.
        private mutating func watchRoot() -> Bool {
            rootWatch = watchTree(root)
            return rootWatch != nil
        }

        /// Watches `top` and every non-hidden directory below it (symbolic links are not followed, as the scanner does
        /// not follow them), returning `top`'s watch. Each directory is watched before it is listed, so a subdirectory
        /// made in between is either listed or reported. Watching a directory again updates its path, which is how a
        /// directory moved within the tree keeps correct paths.
        private mutating func watchTree(_ top: String) -> Int32? {
            var topWatch: Int32?
            var pending = [top]
            while let directory = pending.popLast() {
                let watch = inotify_add_watch(inotify, directory, Self.watchMask)
                guard watch >= 0 else {
                    reportWatchFailure(directory, errno: errno)
                    continue
                }
                directories[watch] = directory
                if directory == top { topWatch = watch }
                let children = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                for child in children where !child.hasPrefix(".") {
                    let path = directory + "/" + child
                    var info = stat()
                    if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { pending.append(path) }
                }
            }
            return topWatch
        }

        /// Drops every watch, after the configured directory was deleted or moved; `run` retries it on a timer.
        private mutating func forgetAll() {
            for watch in directories.keys { _ = inotify_rm_watch(inotify, watch) }
            directories.removeAll()
            rootWatch = nil
        }

        /// A regular file just created, with one link, is still being written by whoever created it: its
        /// `IN_CLOSE_WRITE` follows, and a scan now could decode half of it. Symbolic links and hard links get no
        /// close event, and a file already gone may have been renamed over another, so those scan at once.
        private func isBeingWritten(_ path: String) -> Bool {
            var info = stat()
            guard lstat(path, &info) == 0 else { return false }
            return info.st_mode & S_IFMT == S_IFREG && info.st_nlink == 1
        }

        /// A directory that vanished before it was watched is normal churn; anything else (the watch limit, a
        /// permission) is said once, since the poll still covers what is not watched.
        private mutating func reportWatchFailure(_ directory: String, errno code: Int32) {
            guard code != ENOENT, code != ENOTDIR else { return }
            onFailure("inotify_add_watch")
            guard !reportedWatchFailure else { return }
            reportedWatchFailure = true
            let hint = code == ENOSPC ? " (raise fs.inotify.max_user_watches)" : ""
            logger.info("cannot watch \(directory): \(Self.describe(code))\(hint); changes there wait for the poll")
        }

        static func describe(_ code: Int32) -> String {
            String(cString: strerror(code))
        }
    }
#endif
