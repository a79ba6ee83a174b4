import Foundation

extension Pod {
    /// Starts the Zipkin-compatible collector (`Scripts/testdata/zipkin_collector.py`) on `0.0.0.0:<port>` in this
    /// pod and waits (bounded) until it answers. Its spans are read with `GET /spans` on the pod's own 127.0.0.1.
    @discardableResult
    public func startZipkinCollector(port: Int = 9411) async throws -> ManagedProcess {
        let process = try start(
            [
                Workloads.python, Workloads.directory.appendingPathComponent("zipkin_collector.py").path,
                "--port", "\(port)",
            ], logName: "zipkin-\(port)")
        _ = try await Poll.until("zipkin collector on \(name):\(port)", timeout: .seconds(10)) { () -> Bool? in
            try process.checkRunning()
            return try localGet(port: port, path: "/healthz", timeout: 2).status == 200 ? true : nil
        }
        return process
    }
}
