/// Writes one response, giving up after `timeout`: a proxy that stops reading fills its HTTP/2 window and
/// leaves the write suspended; past the timeout the write is cancelled and the stream is closed.
///
/// Relies on the transport's writer honouring cancellation (NIOAsyncWriter does).
func timedWrite<Response: Sendable>(
    _ response: Response, timeout: Duration?, write: @escaping @Sendable (Response) async throws -> Void
) async throws {
    guard let timeout else {
        try await write(response)
        return
    }
    let written = try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask {
            try await write(response)
            return true
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return false
        }
        let first = try await group.next() ?? false
        group.cancelAll()
        return first
    }
    if !written { throw XDSStreamError.sendTimeout(timeout) }
}
