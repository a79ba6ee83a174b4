public import GRPCNIOTransportHTTP2
import NIOCore
import Synchronization

/// Bounds the connections of a gRPC server: how many may be open, how many of them may not have authenticated yet,
/// and how long a connection may stay unauthenticated. A flood of idle TCP connections then costs a bounded number
/// of file descriptors, and the rest stay for the config sources and the proxies already served.
///
/// A connection counts as authenticated once `authenticated(remotePeer:)` names it (the xDS server calls it when
/// it admits a proxy on the connection). UNIX-socket connections are local and protected by file permissions: they
/// count towards `maxConnections` only.
///
/// Thread-safe. One gate may serve several listeners, so that their sum is bounded.
public final class ConnectionGate: Sendable {
    /// Why a connection was closed by the gate.
    public enum Refusal: String, Sendable, CaseIterable {
        /// `maxConnections` connections were open.
        case connectionLimit = "connection_limit"
        /// `maxUnauthenticated` connections had not authenticated yet.
        case unauthenticatedLimit = "unauthenticated_limit"
        /// The connection sent no admitted request within `authenticationDeadline`.
        case authenticationDeadline = "authentication_deadline"
    }

    /// The gate's limits; see `ConnectionGate`.
    public struct Limits: Sendable, Equatable {
        public var maxConnections: Int
        public var maxUnauthenticated: Int
        /// nil waits forever.
        public var authenticationDeadline: Duration?

        public init(maxConnections: Int, maxUnauthenticated: Int, authenticationDeadline: Duration?) {
            self.maxConnections = max(1, maxConnections)
            self.maxUnauthenticated = max(1, maxUnauthenticated)
            self.authenticationDeadline = authenticationDeadline
        }
    }

    /// What the gate holds now.
    public struct Usage: Sendable, Equatable {
        public var open: Int
        public var unauthenticated: Int
        public var refused: [Refusal: Int]
    }

    private struct Connection {
        let channel: any Channel
        let remotePeer: String
        var authenticated: Bool
    }

    private struct State {
        var connections: [ObjectIdentifier: Connection] = [:]
        /// TCP connections by gRPC's `remotePeer` string (`ipv4:host:port`), which is unique per connection.
        var byPeer: [String: ObjectIdentifier] = [:]
        var unauthenticated = 0
        var refused: [Refusal: Int] = [:]
    }

    public let limits: Limits
    private let state = Mutex(State())
    private let onRefused: @Sendable (Refusal, String) -> Void

    /// - Parameter onRefused: called (on an event loop; keep it short) with each refusal and the peer refused.
    public init(limits: Limits, onRefused: @escaping @Sendable (Refusal, String) -> Void = { _, _ in }) {
        self.limits = limits
        self.onRefused = onRefused
    }

    public var usage: Usage {
        state.withLock { Usage(open: $0.connections.count, unauthenticated: $0.unauthenticated, refused: $0.refused) }
    }

    /// Admits or closes a newly accepted connection, and arms its authentication deadline.
    func accept(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let peer = Self.remotePeer(of: channel)
        let local = peer.hasPrefix("unix:")
        let refusal: Refusal? = state.withLock { state in
            if state.connections.count >= limits.maxConnections { return .connectionLimit }
            if !local, state.unauthenticated >= limits.maxUnauthenticated { return .unauthenticatedLimit }
            state.connections[id] = Connection(channel: channel, remotePeer: peer, authenticated: local)
            if !local {
                state.byPeer[peer] = id
                state.unauthenticated += 1
            }
            return nil
        }
        if let refusal {
            refuse(channel, peer: peer, for: refusal)
            return
        }
        channel.closeFuture.whenComplete { [self] _ in closed(id) }
        if !local, let deadline = limits.authenticationDeadline {
            channel.eventLoop.scheduleTask(in: TimeAmount(deadline)) { [self] in
                let late = state.withLock { $0.connections[id].map { !$0.authenticated } ?? false }
                if late { refuse(channel, peer: peer, for: .authenticationDeadline) }
            }
        }
    }

    /// Marks the connection of `remotePeer` authenticated: it no longer counts as unauthenticated and has no deadline.
    public func authenticated(remotePeer: String) {
        state.withLock { state in
            guard let id = state.byPeer[remotePeer], state.connections[id]?.authenticated == false else { return }
            state.connections[id]?.authenticated = true
            state.unauthenticated -= 1
        }
    }

    private func refuse(_ channel: any Channel, peer: String, for refusal: Refusal) {
        state.withLock { $0.refused[refusal, default: 0] += 1 }
        onRefused(refusal, peer)
        channel.close(promise: nil)
    }

    private func closed(_ id: ObjectIdentifier) {
        state.withLock { state in
            guard let connection = state.connections.removeValue(forKey: id) else { return }
            if state.byPeer[connection.remotePeer] == id { state.byPeer[connection.remotePeer] = nil }
            if !connection.authenticated { state.unauthenticated -= 1 }
        }
    }

    /// gRPC's spelling of a peer (`ipv4:127.0.0.1:5000`, `ipv6:[::1]:5000`, `unix:/path`), so that the xDS server's
    /// `PeerInfo.remotePeer` finds the connection.
    static func remotePeer(of channel: any Channel) -> String {
        let address = channel.remoteAddress
        switch address {
        case .v4?: return "ipv4:\(address?.ipAddress ?? ""):\(address?.port ?? 0)"
        case .v6?: return "ipv6:[\(address?.ipAddress ?? "")]:\(address?.port ?? 0)"
        case .unixDomainSocket?, nil: return "unix:\(channel.localAddress?.pathname ?? "<unknown>")"
        }
    }
}

extension GRPCTransportTuning {
    /// For a server: every accepted connection passes `gate` first.
    public static func gateConnections(
        _ callbacks: inout HTTP2ServerTransport.Config.ChannelDebuggingCallbacks, with gate: ConnectionGate
    ) {
        let previous = callbacks.onAcceptTCPConnection
        callbacks.onAcceptTCPConnection = { channel in
            gate.accept(channel)
            return previous?(channel) ?? channel.eventLoop.makeSucceededVoidFuture()
        }
    }
}
