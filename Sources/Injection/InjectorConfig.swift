public import Discovery
import MeshModel
import Yams

/// The injection webhook's configuration (`meshd serve --injector-config FILE`): the fields of the `config` key of
/// istiod's `istio-sidecar-injector` ConfigMap that decide who is injected (`policy`, `alwaysInjectSelector`,
/// `neverInjectSelector`, `injectedAnnotations`), and a `meshd` section with what `meshd inject` takes as flags.
/// Istio's templates are not read: meshd's sidecar is its own (a warning says so).
///
/// ```yaml
/// policy: enabled
/// neverInjectSelector:
/// - matchExpressions: [{key: openshift.io/build.name, operator: Exists}]
/// injectedAnnotations: {}
/// meshd:
///   meshdAddress: istiod.istio-system.svc:15012   # or unix:PATH
///   proxyImage: envoyproxy/envoy:v1.40.0
///   initImage: meshd:latest
///   nativeSidecar: true
///   tokenExpirationSeconds: 43200
///   xdsPlaintext: false
/// ```
public struct InjectorConfig: Sendable {
    public var policy = InjectionPolicy()
    public var injectedAnnotations: [String: String] = [:]
    public var settings = InjectSettings()
    public var warnings: [String] = []

    public init() {}

    /// Reads the YAML; throws naming the field and the reason.
    public init(yaml: String, file: String) throws(InjectError) {
        let document: JSONValue
        do {
            document = try NodeJSON.json(try Yams.compose(yaml: yaml) ?? Node([(Node, Node)]()))
        } catch {
            throw InjectError(reason: "\(file): not a YAML mapping: \(error)")
        }
        guard case .object(let fields) = document else { throw InjectError(reason: "\(file): not a YAML mapping") }
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "policy":
                guard let text = value.stringValue, let policy = InjectionPolicy.Policy(rawValue: text) else {
                    throw InjectError(reason: "\(file): policy: must be enabled or disabled")
                }
                self.policy.policy = policy
            case "alwaysInjectSelector", "neverInjectSelector":
                guard case .array(let items) = value else { throw InjectError(reason: "\(file): \(key): must be a list") }
                var selectors: [LabelSelector] = []
                for (index, item) in items.enumerated() {
                    selectors.append(try LabelSelector(json: item, path: "\(file): \(key)[\(index)]"))
                }
                if key == "alwaysInjectSelector" {
                    policy.alwaysInjectSelector = selectors
                } else {
                    policy.neverInjectSelector = selectors
                }
            case "injectedAnnotations":
                guard case .object(let pairs) = value else {
                    throw InjectError(reason: "\(file): injectedAnnotations: must be a map of strings")
                }
                for (name, annotation) in pairs {
                    guard let text = annotation.stringValue else {
                        throw InjectError(reason: "\(file): injectedAnnotations.\(name): must be a string")
                    }
                    injectedAnnotations[name] = text
                }
            case "meshd":
                try readMeshd(value, file: file)
            case "template", "templates", "defaultTemplates", "aliases":
                warnings.append("\(file): \(key): Istio's injection templates are not used; meshd injects its own sidecar")
            default:
                warnings.append("\(file): \(key): unknown field; ignored")
            }
        }
    }

    mutating func readMeshd(_ value: JSONValue, file: String) throws(InjectError) {
        guard case .object(let fields) = value else { throw InjectError(reason: "\(file): meshd: must be a mapping") }
        for (key, field) in fields.sorted(by: { $0.key < $1.key }) {
            let path = "\(file): meshd.\(key)"
            switch key {
            case "meshdAddress":
                // unix:PATH for proxies on meshd's own node (a hostPath socket), as `meshd bootstrap` allows.
                guard let text = field.stringValue, let address = ListenAddress(text) else {
                    throw InjectError(reason: "\(path): expected HOST:PORT or unix:PATH")
                }
                settings.meshdAddress = address
            case "proxyImage", "initImage":
                guard let text = field.stringValue, !text.isEmpty else { throw InjectError(reason: "\(path): must be an image") }
                if key == "proxyImage" { settings.proxyImage = text } else { settings.initImage = text }
            case "nativeSidecar", "xdsPlaintext":
                guard case .bool(let flag) = field else { throw InjectError(reason: "\(path): must be a boolean") }
                if key == "nativeSidecar" { settings.nativeSidecar = flag } else { settings.plaintext = flag }
            case "tokenExpirationSeconds":
                guard case .int(let seconds) = field, seconds >= 600, seconds <= Int64(Int32.max) else {
                    throw InjectError(reason: "\(path): must be an integer of at least 600 (Kubernetes' minimum)")
                }
                settings.tokenExpirationSeconds = Int(seconds)
            default:
                warnings.append("\(path): unknown field; ignored")
            }
        }
    }
}
