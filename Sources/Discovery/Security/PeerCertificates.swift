public import GRPCCore
import NIOCore
import Synchronization
public import X509

/// The verified client certificate chains of the open connections of one TLS listener
/// (`ClientCertificateListenerFactory`), by the connection's remote address. Thread-safe.
///
/// The remote address identifies a connection only among the connections of one listener, so the lookup happens
/// in that listener's own gRPC server (`interceptor`), which hands the chain to the call as a task-local value
/// (`PeerCertificates.current`). A caller on any other port never sees it, even from the same address and port.
public final class PeerCertificates: Sendable {
    /// One accepted connection: its remote address as gRPC spells it (`ServerContext.remotePeer`), and the
    /// channel, so that a closing connection never forgets the chain of a newer one from the same address.
    struct Connection: Hashable, Sendable {
        var remotePeer: String
        var channel: ObjectIdentifier

        /// Nil for UNIX-socket peers, whose addresses do not tell connections apart.
        init?(_ channel: any Channel) {
            switch channel.remoteAddress {
            case .v4(let address)?:
                remotePeer = "ipv4:\(address.host):\(channel.remoteAddress?.port ?? 0)"
            case .v6(let address)?:
                remotePeer = "ipv6:[\(address.host)]:\(channel.remoteAddress?.port ?? 0)"
            default:
                return nil
            }
            self.channel = ObjectIdentifier(channel)
        }
    }

    private let chains = Mutex<[String: (channel: ObjectIdentifier, chain: [Certificate])]>([:])

    public init() {}

    /// The verified chain of the connection a call arrived on, set by `interceptor` for the call's duration.
    @TaskLocal public static var current: [Certificate]?

    func record(_ chain: [Certificate], for connection: Connection) {
        chains.withLock { $0[connection.remotePeer] = (connection.channel, chain) }
    }

    func forget(_ connection: Connection) {
        chains.withLock { chains in
            if chains[connection.remotePeer]?.channel == connection.channel { chains[connection.remotePeer] = nil }
        }
    }

    /// The verified chain of the open connection from `remotePeer`; nil when it presented none.
    public func chain(for remotePeer: String) -> [Certificate]? {
        chains.withLock { $0[remotePeer]?.chain }
    }

    /// Runs every call of this listener's server with `PeerCertificates.current` set to its connection's chain.
    public var interceptor: any ServerInterceptor { Interceptor(peers: self) }

    private struct Interceptor: ServerInterceptor {
        let peers: PeerCertificates

        func intercept<Input: Sendable, Output: Sendable>(
            request: StreamingServerRequest<Input>, context: ServerContext,
            next:
                @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
        ) async throws -> StreamingServerResponse<Output> {
            let chain = peers.chain(for: context.remotePeer)
            var response = try await PeerCertificates.$current.withValue(chain) { try await next(request, context) }
            // A streaming handler does its work (ADS admission included) in the producer, after `next` returns.
            if case .success(var contents) = response.accepted {
                let producer = contents.producer
                contents.producer = { writer in
                    try await PeerCertificates.$current.withValue(chain) { try await producer(writer) }
                }
                response.accepted = .success(contents)
            }
            return response
        }
    }
}
