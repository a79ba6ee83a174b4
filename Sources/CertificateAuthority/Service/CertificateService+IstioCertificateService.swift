public import EnvoyAPI
public import GRPCCore
import Logging

extension CertificateService: Istio_V1_Auth_IstioCertificateService.ServiceProtocol {
    private static let logger = Logger(label: "meshd.ca.csr")

    /// Authenticates, rate-limits, checks and signs. Refusals map to gRPC codes a caller can act on:
    /// UNAUTHENTICATED (no or bad credential), RESOURCE_EXHAUSTED (rate limit), PERMISSION_DENIED (a CSR for
    /// another identity), INVALID_ARGUMENT (a malformed CSR).
    public func createCertificate(
        request: ServerRequest<Istio_V1_Auth_IstioCertificateRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Istio_V1_Auth_IstioCertificateResponse> {
        let caller = Caller(
            remotePeer: context.remotePeer, metadata: request.metadata, transportSpecific: context.transportSpecific)
        let identity: SPIFFEIdentity
        do {
            identity = try authenticate(caller)
        } catch {
            Self.logger.notice(
                "CSR refused: unauthenticated", metadata: ["peer": "\(caller.remotePeer)", "reason": "\(error)"])
            throw RPCError(code: .unauthenticated, message: "the caller's identity could not be proven: \(error)")
        }
        guard limiter.admit(identity) else {
            Self.logger.notice("CSR refused: rate limited", metadata: ["identity": "\(identity)"])
            throw RPCError(
                code: .resourceExhausted, message: "too many certificate requests for \(identity); retry later")
        }
        let validity = request.message.validityDuration
        let ttl: Duration? = validity > 0 ? .seconds(validity) : nil
        do {
            var response = Istio_V1_Auth_IstioCertificateResponse()
            response.certChain = try ca.sign(csrPEM: request.message.csr, for: identity, ttl: ttl)
            Self.logger.debug("CSR signed", metadata: ["identity": "\(identity)"])
            return ServerResponse(message: response)
        } catch let error as CAError {
            Self.logger.notice("CSR refused", metadata: ["identity": "\(identity)", "reason": "\(error)"])
            throw RPCError(code: error.isPermissionDenied ? .permissionDenied : .invalidArgument, message: "\(error)")
        } catch {
            Self.logger.error("CSR signing failed", metadata: ["identity": "\(identity)", "reason": "\(error)"])
            throw RPCError(code: .internalError, message: "the certificate could not be signed")
        }
    }
}
