public import Discovery
import Synchronization

/// Where the daemon's listeners are bound, recorded as each one starts: the real port when one was asked for with
/// port 0. Thread-safe.
public final class ListeningAddresses: Sendable {
    /// One of the daemon's listeners.
    public enum Listener: String, Sendable, Hashable, CustomStringConvertible {
        case xds, secureXDS, admin, webhook
        public var description: String { rawValue }
    }

    private let bound = Mutex<[Listener: ListenAddress]>([:])

    init() {}

    /// The address `listener` is bound to; nil until it has started.
    public subscript(listener: Listener) -> ListenAddress? {
        bound.withLock { $0[listener] }
    }

    /// Waits until `listener` is bound, at most `timeout`; throws `ListenerNotBound` after that, and when cancelled.
    public func address(of listener: Listener, timeout: Duration = .seconds(20)) async throws -> ListenAddress {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let address = self[listener] { return address }
            guard ContinuousClock.now < deadline else { throw ListenerNotBound(listener: listener, timeout: timeout) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The TCP port `listener` is bound to (see `address(of:timeout:)`); throws for a UNIX socket.
    public func port(of listener: Listener, timeout: Duration = .seconds(20)) async throws -> Int {
        guard case .tcp(_, let port) = try await address(of: listener, timeout: timeout) else {
            throw ListenerNotBound(listener: listener, timeout: timeout)
        }
        return port
    }

    func record(_ address: ListenAddress, for listener: Listener) {
        bound.withLock { $0[listener] = address }
    }
}

/// A listener did not start in time (or is not on TCP when a port was asked for).
public struct ListenerNotBound: Error, CustomStringConvertible {
    public var listener: ListeningAddresses.Listener
    public var timeout: Duration
    public var description: String { "the \(listener) listener has no TCP address after \(timeout)" }
}
