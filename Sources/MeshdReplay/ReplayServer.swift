public import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCTransportTuning

/// Serves a `ReplayRecording` over plaintext HTTP/2 gRPC on `host:port` until the task is cancelled, with the
/// same transport configuration meshd's xDS server uses.
public enum ReplayServer {
    public static func serve(
        recording: ReplayRecording, host: String, port: Int, onListening: @Sendable (Int) -> Void
    ) async throws {
        var config = HTTP2ServerTransport.Posix.Config.defaults
        config.connection.maxIdleTime = nil
        config.connection.maxAge = nil
        config.rpc.maxRequestPayloadSize = 16 * 1024 * 1024
        GRPCTransportTuning.releaseAfterEachMessage(&config.channelDebuggingCallbacks)
        GRPCTransportTuning.smallReadBuffers(&config.channelDebuggingCallbacks)
        GRPCTransportTuning.listenBacklog(&config.channelDebuggingCallbacks)
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: host, port: port), transportSecurity: .plaintext, config: config)
        let server = GRPCServer(transport: transport, services: [ReplayADSService(recording: recording)])
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await server.serve() }
            if let bound = try await transport.listeningAddress.ipv4 {
                onListening(bound.port)
            }
        }
    }
}
