import Foundation
public import Logging
public import ServiceLifecycle
public import XDSServer

/// Wakes when the next workload certificate reaches half of its lifetime, re-issues the due ones and pushes, so
/// every proxy receives its new `default` secret over SDS well before the old one expires.
public struct CertificateRotationService: Service {
    let certificates: WorkloadCertificates
    let ads: ADSServer<MeshResourceProvider>
    let logger: Logger
    /// The longest sleep, so certificates issued while asleep are still noticed in time.
    let maximumInterval: Duration

    public init(
        certificates: WorkloadCertificates, ads: ADSServer<MeshResourceProvider>,
        maximumInterval: Duration = .seconds(5),
        logger: Logger
    ) {
        self.certificates = certificates
        self.ads = ads
        self.maximumInterval = maximumInterval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var wait = maximumInterval
                if let next = certificates.nextRotation {
                    let seconds = max(0.05, next.timeIntervalSinceNow)
                    wait = min(wait, .milliseconds(Int64(seconds * 1000)))
                }
                do { try await Task.sleep(for: wait) } catch { return }
                if certificates.rotateDue() {
                    logger.info("workload certificates rotated; pushing SDS")
                    // Listeners and clusters name the secrets by SDS name only, so nothing else changes.
                    ads.push(PushRequest(types: [.secret]))
                }
            }
        }
    }
}
