public import EnvoyAPI
public import Foundation
public import MeshModel
import SwiftProtobuf
public import XDSTranslator

/// The policy simulator: what one proxy would do with a request, decided by evaluating the listeners the translator
/// generates for it (the same bytes meshd pushes), never by re-reading the policy YAML. A sidecar's requests go to
/// `virtualInbound`; a gateway's to the listener on the destination port. Pure; thread-safe.
public struct AuthorizationSimulator: Sendable {
    public let proxy: Proxy
    public let listeners: [Envoy_Config_Listener_V3_Listener]

    public init(proxy: Proxy, listeners: [Envoy_Config_Listener_V3_Listener]) {
        self.proxy = proxy
        self.listeners = listeners
    }

    /// Generates `proxy`'s listeners from `snapshot` with the translator, as meshd would push them.
    public init(snapshot: MeshSnapshot, proxy: Proxy, settings: TranslatorSettings = TranslatorSettings()) {
        let translator = XDSTranslator(settings: settings)
        let messages = translator.generateMessages(typeURL: TypeURL.listener, snapshot: snapshot, proxy: proxy)
        self.init(proxy: proxy, listeners: messages.compactMap { $0.message as? Envoy_Config_Listener_V3_Listener })
    }

    /// The decision for `request`. A `token` with no `authorization` header is sent as `Authorization: Bearer`.
    public func check(_ request: SimulatedRequest, now: Date = Date()) -> AuthorizationDecision {
        var request = request
        if let token = request.token, request.header("authorization") == nil {
            request.headers.append((name: "authorization", value: "Bearer \(token)"))
        }
        guard let listener = listener(for: request) else {
            let which = proxy.kind == .sidecar ? "virtualInbound" : "a listener on port \(request.destinationPort)"
            return AuthorizationDecision(
                verdict: .noFilterChain, status: 0, policy: nil, reason: "the proxy has no \(which)", listener: "-",
                filterChain: "-", notes: [])
        }
        guard let chain = FilterChainSelector.select(listener, request, http: true) else {
            let (transport, _) = FilterChainSelector.connection(of: request, http: true)
            return AuthorizationDecision(
                verdict: .noFilterChain, status: 0, policy: nil,
                reason:
                    "no filter chain of \(listener.name) takes a \(transport == "tls" ? "TLS" : "plaintext") connection to port \(request.destinationPort); the connection is closed",
                listener: listener.name, filterChain: "-", notes: [])
        }
        // A chain that terminates TLS (a DownstreamTlsContext, which meshd's inbound chains require a client
        // certificate on) cannot complete a handshake with a plaintext client: Envoy closes the connection.
        let (transport, _) = FilterChainSelector.connection(of: request, http: true)
        if transport == "raw_buffer", chain.transportSocket.name == "envoy.transport_sockets.tls" {
            return AuthorizationDecision(
                verdict: .noFilterChain, status: 0, policy: nil,
                reason:
                    "filter chain \(chain.name) of \(listener.name) requires TLS (mutual TLS), and the connection is plaintext; the handshake fails and the connection is closed",
                listener: listener.name, filterChain: chain.name, notes: [])
        }
        return ChainEvaluator(listener: listener.name, chain: chain, now: now).evaluate(request)
    }

    func listener(for request: SimulatedRequest) -> Envoy_Config_Listener_V3_Listener? {
        switch proxy.kind {
        case .sidecar, .grpc: return listeners.first { $0.name == "virtualInbound" }
        case .router:
            return listeners.first { listener in
                guard case .socketAddress(let socket)? = listener.address.address else { return false }
                return socket.portValue == UInt32(clamping: request.destinationPort)
            }
        }
    }
}
