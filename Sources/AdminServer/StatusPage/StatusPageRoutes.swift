import Hummingbird
import MeshModel

/// `GET /`: the status page, rendered on every request from the live admin context.
struct StatusPageRoutes {
    let context: AdminContext

    func register(on router: Router<BasicRequestContext>) {
        let context = context
        router.get("/") { _, _ -> Response in
            let html = PrivateKeyRedaction.redact(
                StatusPage.render(StatusPageModel(context: context, sent: await SentResources.rejected(context))))
            return Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: html)))
        }
    }
}
