import Discovery
import Foundation
import Hummingbird
import XDSTranslator

/// `POST /debug/diff`: a dry run of configuration. The body is `[{"file": "...", "content": "..."}]`; the answer
/// (`DiffJSON`) lists decoding errors (status 422, nothing compared) or, per connected proxy, which xDS resources
/// would be added, removed or changed. `?summary=true` leaves out the line diffs. Nothing is ever applied.
struct DiffRoutes {
    /// Larger bodies are refused: a dry run of a whole mesh's YAML fits well within it.
    static let maxBodyBytes = 16 * 1024 * 1024

    let context: AdminContext

    func register(on router: Router<BasicRequestContext>) {
        let context = context
        router.post("/debug/diff") { request, _ -> Response in
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: Self.maxBodyBytes)
            } catch {
                return Responses.text("diff body larger than \(Self.maxBodyBytes) bytes\n", status: .contentTooLarge)
            }
            let files: [DiffInputFile]
            do {
                files = try JSONDecoder().decode([DiffInputFile].self, from: Data(buffer: buffer))
            } catch {
                return Responses.badRequest("diff expects a JSON array of {\"file\": ..., \"content\": ...}: \(error)")
            }
            let withLineDiffs = request.uri.queryParameters.get("summary") != "true"
            let plan = DiffPlanner(translator: XDSTranslator(settings: context.provider.translatorSettings)).plan(
                files: files, current: context.store.snapshot(),
                proxies: context.ads.connections.all().map(DiffTarget.init),
                withLineDiffs: withLineDiffs)
            var response = Responses.json(plan)
            if !plan.errors.isEmpty { response.status = .unprocessableContent }
            return response
        }
    }
}
