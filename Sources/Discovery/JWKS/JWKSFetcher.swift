import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOFoundationCompat

/// Fetches one `jwksUri`. One requirement, so tests and other transports can stand in.
public protocol JWKSFetcher: Sendable {
    /// GETs `uri` and returns the body of a 200 answer, at most `limit` bytes, within `timeout`.
    func fetch(_ uri: String, timeout: Duration, limit: Int) async throws(JWKSError) -> Data
}

/// The fetcher over HTTP/1.1 (AsyncHTTPClient): https verified against the system's trust roots, plain http for
/// issuers inside the mesh and for tests. Uses the process-wide `HTTPClient.shared` (default configuration: system
/// roots, redirects followed up to 5 times without cycles, no decompression), which needs no shutdown. Thread-safe.
public struct HTTPJWKSFetcher: JWKSFetcher {
    let http: HTTPClient = .shared

    public init() {}

    public func fetch(_ uri: String, timeout: Duration, limit: Int) async throws(JWKSError) -> Data {
        var request = HTTPClientRequest(url: uri)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "meshd")
        let amount = TimeAmount.nanoseconds(
            Int64(timeout.components.seconds) * 1_000_000_000
                + timeout.components.attoseconds / 1_000_000_000)
        do {
            let response = try await http.execute(request, timeout: amount)
            guard response.status.code == 200 else { throw JWKSError.httpStatus(Int(response.status.code)) }
            if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > limit {
                throw JWKSError.tooLarge(limit: limit)
            }
            let body = try await response.body.collect(upTo: limit)
            return Data(buffer: body)
        } catch let error as JWKSError {
            throw error
        } catch is NIOTooManyBytesError {
            throw .tooLarge(limit: limit)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .timedOut(seconds: Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        } catch {
            throw .transport("\(error)")
        }
    }
}
