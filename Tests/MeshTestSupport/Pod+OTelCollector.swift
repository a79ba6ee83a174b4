import Foundation

extension Pod {
    /// Starts the telemetry collector (`Scripts/testdata/otel_collector.py`: Envoy's access log service and OTLP
    /// logs and traces over gRPC on `grpcPort`, OTLP/HTTP traces and `GET /records` on `httpPort`) in this pod, and
    /// waits (bounded) until it answers.
    @discardableResult
    public func startOTelCollector(grpcPort: Int = 4317, httpPort: Int = 4318) async throws -> ManagedProcess {
        let process = try start(
            [
                Workloads.python, Workloads.directory.appendingPathComponent("otel_collector.py").path,
                "--grpc-port", "\(grpcPort)", "--http-port", "\(httpPort)",
            ], logName: "otel-collector-\(grpcPort)")
        _ = try await Poll.until("telemetry collector on \(name):\(httpPort)", timeout: .seconds(15)) { () -> Bool? in
            try process.checkRunning()
            return try localGet(port: httpPort, path: "/healthz", timeout: 2).status == 200 ? true : nil
        }
        return process
    }
}
