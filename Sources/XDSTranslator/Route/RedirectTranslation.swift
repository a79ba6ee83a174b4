import EnvoyAPI
import Foundation
import MeshModel

/// Istio `redirect` and `directResponse` -> Envoy route actions, as istiod's ApplyRedirect and
/// ApplyDirectResponse do it.
enum RedirectTranslation {
    /// The largest direct-response body istiod allows (and configures Envoy to accept): 1 MiB.
    static let maxDirectResponseBodyBytes = 1024 * 1024

    /// nil for a redirect code Envoy cannot send (only 301, 302, 303, 307 and 308 exist); the route is left out.
    static func redirect(_ redirect: HTTPRedirect, port: Int, isTLS: Bool) -> Envoy_Config_Route_V3_RedirectAction? {
        var action = Envoy_Config_Route_V3_RedirectAction()
        action.hostRedirect = redirect.authority ?? ""
        action.pathRedirect = redirect.uri ?? ""
        if let scheme = redirect.scheme, !scheme.isEmpty { action.schemeRedirect = scheme }
        if redirect.port != nil || redirect.derivePort != nil {
            if let number = redirect.port {
                action.portRedirect = UInt32(clamping: number)
            } else if redirect.derivePort == .fromRequestPort {
                // Envoy cannot derive the port per request, but routes are built per port: use this one.
                action.portRedirect = UInt32(clamping: port)
            }
            let scheme = redirect.scheme.flatMap { $0.isEmpty ? nil : $0 } ?? (isTLS ? "https" : "http")
            // No explicit :80 for http or :443 for https.
            if (action.portRedirect == 80 && scheme == "http") || (action.portRedirect == 443 && scheme == "https") {
                action.portRedirect = 0
            }
        }
        switch redirect.redirectCode ?? 301 {
        case 0, 301: action.responseCode = .movedPermanently
        case 302: action.responseCode = .found
        case 303: action.responseCode = .seeOther
        case 307: action.responseCode = .temporaryRedirect
        case 308: action.responseCode = .permanentRedirect
        default: return nil
        }
        return action
    }

    static func directResponse(_ response: HTTPDirectResponse) -> Envoy_Config_Route_V3_DirectResponseAction {
        var action = Envoy_Config_Route_V3_DirectResponseAction()
        action.status = UInt32(clamping: response.status)
        switch response.body {
        case .string(let text):
            var body = Envoy_Config_Core_V3_DataSource()
            body.inlineString = text
            action.body = body
        case .bytes(let bytes):
            var body = Envoy_Config_Core_V3_DataSource()
            body.inlineBytes = Data(bytes)
            action.body = body
        case nil: break
        }
        return action
    }
}
