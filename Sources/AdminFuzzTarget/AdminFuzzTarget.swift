import AdminServer
import Discovery
import FuzzTargets
import Hummingbird
import Logging
import NIOEmbedded
import Prometheus
import Registry
import XDSServer

/// The admin-routes fuzz target, apart from `FuzzTargets` because it needs the whole admin server (and so
/// Discovery, the CA and their TLS stack) while the others need only the model, the translator and the xDS
/// state machines.
public enum AdminFuzzTarget {
    static let adminToken = "fuzz-admin-token"

    /// The input is `METHOD PATH` on its first line and an optional body after it. Sent without the token, every
    /// route but the public probes must answer 401; the public ones must not.
    public static func admin(_ bytes: [UInt8]) async {
        let text = String(decoding: bytes.prefix(4096), as: UTF8.self)
        let firstLine = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let requestLine = firstLine.first.map(String.init) ?? ""
        let body = firstLine.count > 1 ? String(firstLine[1]) : ""
        let parts = requestLine.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[1].hasPrefix("/"), !parts[1].contains(where: { $0.isNewline || $0 == " " }) else {
            return
        }
        let method: HTTPRequest.Method = parts[0] == "POST" ? .post : .get
        let path = String(parts[1])
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1", path: path),
            body: RequestBody(buffer: ByteBuffer(string: body)))
        let channel = EmbeddedChannel()
        // Finished after the answer: an unfinished EmbeddedChannel keeps its pipeline alive (LeakSanitizer reports it).
        defer { _ = try? channel.finish() }
        let context = BasicRequestContext(
            source: ApplicationRequestContextSource(channel: channel, logger: FuzzTargets.quiet))
        let status: HTTPResponse.Status
        do {
            status = try await adminResponder.respond(to: request, context: context).status
        } catch let error as HTTPResponseError {
            status = error.status
        } catch {
            status = .internalServerError
        }
        // Judged on the path as the server parsed it (what both the token check and the router see): a raw
        // request line with a control character parses to a shorter path, such as `/ready\u{1A}` to `/ready`.
        let parsed = request.uri.path
        let segments = parsed.split(separator: "/")
        let isProbe =
            segments.count == 1 && ["ready", "healthz", "version", "metrics"].contains(segments[0])
            && !parsed.contains("%") && !parsed.contains("\\")
        if !isProbe, status != .unauthorized {
            FuzzTargets.violated("\(method) \(path) answered \(status.code) without the admin token")
        }
    }

    static let adminResponder: some HTTPResponder<BasicRequestContext> = {
        let store = ConfigStore(logger: FuzzTargets.quiet)
        let provider = MeshResourceProvider(snapshot: store.snapshot())
        let tracker = ChangeTracker()
        let ads = ADSServer(
            provider: provider, observer: XDSEventFanOut([provider.connected, tracker]), logger: FuzzTargets.quiet)
        let readiness = Readiness()
        let context = AdminContext(
            store: store, provider: provider, ads: ads, readiness: readiness, tracker: tracker,
            metrics: PrometheusCollectorRegistry())
        // A loopback server with a token: the same router `meshd serve --admin-token` runs.
        guard
            let server = try? AdminServer(
                host: "127.0.0.1", port: 1, context: context, token: adminToken, logger: FuzzTargets.quiet)
        else {
            FuzzTargets.violated("the admin server refused a loopback address with a token")
        }
        return server.makeRouter().buildResponder()
    }()

}
