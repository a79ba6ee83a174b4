import Yams

/// What decoding one mesh config text gave: the config (nil when any error was found, so a bad mesh config never
/// replaces a good one) and every diagnostic, each naming the field path.
public struct MeshConfigDecodeResult: Sendable, Hashable {
    public var config: MeshConfig?
    public var errors: [ConfigDiagnostic]
    public var warnings: [ConfigDiagnostic]

    public init(config: MeshConfig?, errors: [ConfigDiagnostic] = [], warnings: [ConfigDiagnostic] = []) {
        self.config = config
        self.errors = errors
        self.warnings = warnings
    }

    public var diagnostics: [ConfigDiagnostic] { errors + warnings }
}

/// Reads Istio's MeshConfig YAML (the `mesh` key of the `istio` ConfigMap) into `MeshConfig`. Pure and thread-safe.
///
/// The fields meshd acts on are decoded and validated; every other field is a warning with its path, and ignored.
/// An empty text is istiod's defaults.
public enum MeshConfigDecoder {
    /// The top-level fields meshd reads.
    static let handled: Set<String> = [
        "rootNamespace", "trustDomain", "trustDomainAliases", "outboundTrafficPolicy", "enableAutoMtls",
        "extensionProviders", "accessLogFile", "accessLogFormat", "accessLogEncoding", "defaultProviders",
        "defaultConfig", "discoverySelectors", "localityLbSetting",
    ]

    public static func decode(yaml: String, file: String) -> MeshConfigDecodeResult {
        let context = DecodeContext(file: file, document: 1, lineOffset: 0)
        if yaml.utf8.count > DecodeLimits.default.maxDocumentBytes {
            context.error(
                "",
                "mesh config is \(yaml.utf8.count) bytes, more than the limit of \(DecodeLimits.default.maxDocumentBytes)"
            )
            return result(nil, context)
        }
        let document = YAMLDocumentText(index: 1, lineOffset: 0, text: yaml)
        if let problem = ConfigDecoder.limitProblem(document, limits: .default) {
            context.error("", problem.message, line: problem.line)
            return result(nil, context)
        }
        let root: Node?
        do {
            root = try ConfigDecoder.compose(yaml)
        } catch {
            let (message, line) = ConfigDecoder.describe(error, lineOffset: 0)
            context.error("", "mesh config YAML does not parse: \(message)", line: line)
            return result(nil, context)
        }
        guard let root else { return result(.default, context) }
        let field = YAMLField(node: root, path: "", context: context)
        if field.isNull { return result(.default, context) }
        guard let mapping = field.mapping() else { return result(nil, context) }
        let config = decodeMeshConfig(mapping)
        return result(context.errors.isEmpty ? config : nil, context)
    }

    private static func result(_ config: MeshConfig?, _ context: DecodeContext) -> MeshConfigDecodeResult {
        MeshConfigDecodeResult(
            config: context.errors.isEmpty ? config : nil, errors: ConfigDecoder.byLine(context.errors),
            warnings: ConfigDecoder.byLine(context.warnings))
    }

    static func decodeMeshConfig(_ mesh: YAMLMapping) -> MeshConfig {
        warnIgnored(mesh, handled: handled)
        var config = MeshConfig()
        if let field = mesh["rootNamespace"], let text = field.string() {
            if HostSyntax.isDNS1123Label(text) {
                config.rootNamespace = text
            } else {
                field.context.error(
                    field.path, "\"\(text)\" is not a valid namespace name (a DNS-1123 label)", node: field.node)
            }
        }
        if let field = mesh["trustDomain"], let text = field.string() {
            if let problem = trustDomainProblem(text) {
                field.context.error(field.path, problem, node: field.node)
            } else {
                config.trustDomain = text
            }
        }
        config.discoverySelectors = mesh.sequence("discoverySelectors").compactMap(decodeLabelSelector)
        for item in mesh.sequence("trustDomainAliases") {
            guard let text = item.string() else { continue }
            if let problem = trustDomainProblem(text) {
                item.context.error(item.path, problem, node: item.node)
            } else {
                config.trustDomainAliases.append(text)
            }
        }
        if let policy = mesh.mapping("outboundTrafficPolicy") {
            warnIgnored(policy, handled: ["mode"])
            if let field = policy["mode"], let text = field.string() {
                if let mode = OutboundTrafficPolicyMode(rawValue: text) {
                    config.outboundTrafficPolicy = mode
                } else {
                    field.context.error(
                        field.path, "unknown mode \"\(text)\"; expected ALLOW_ANY or REGISTRY_ONLY", node: field.node)
                }
            }
        }
        if let enabled = mesh.bool("enableAutoMtls") { config.enableAutoMtls = enabled }
        if let setting = mesh.mapping("localityLbSetting") {
            var decoded = ConfigDecoder.decodeLocalityLbSetting(setting)
            // Merged over istiod's default, as its mesh config loader merges fields into the defaults.
            decoded.enabled = decoded.enabled ?? LocalityLoadBalancerSetting.meshDefault.enabled
            for issue in decoded.problems() {
                setting.context.error(
                    issue.fieldPath.isEmpty ? setting.path : setting.path.appendingField(issue.fieldPath), issue.reason)
            }
            config.localityLbSetting = decoded
        }
        decodeAccessLogSettings(mesh, into: &config)
        decodeDefaultConfig(mesh, into: &config)
        var names: [String: String] = [:]
        for item in mesh.sequence("extensionProviders") {
            guard let mapping = item.mapping() else { continue }
            guard let provider = decodeExtensionProvider(mapping) else { continue }
            if let first = names[provider.name] {
                mapping.context.error(
                    mapping.path.appendingField("name"),
                    "duplicate extension provider name \"\(provider.name)\", first declared at \(first)")
                continue
            }
            names[provider.name] = mapping.path
            config.extensionProviders.append(provider)
        }
        return config
    }

    /// Warns about every field that is not `handled`: `<path>: not supported by meshd, ignored`. A top-level
    /// section that is a mapping (`defaultConfig`, `meshMTLS`) is named field by field one level down
    /// (`defaultConfig.tracing`), so the operator sees which settings are dropped.
    static func warnIgnored(_ mapping: YAMLMapping, handled: Set<String>) {
        for key in mapping.keys where !handled.contains(key) {
            guard let field = mapping[key] else {
                mapping.context.warning(mapping.path.appendingField(key), "not supported by meshd, ignored")
                continue
            }
            if mapping.path.isEmpty, case .mapping(let section) = field.node, !section.isEmpty,
                let child = field.mapping()
            {
                for childKey in child.keys {
                    _ = child[childKey]
                    child.context.warning(child.path.appendingField(childKey), "not supported by meshd, ignored")
                }
            } else {
                mapping.context.warning(field.path, "not supported by meshd, ignored")
            }
        }
    }

    /// A SPIFFE trust domain: non-empty, at most 255 characters of letters, digits, `.`, `-` and `_`.
    static func trustDomainProblem(_ text: String) -> String? {
        if text.isEmpty { return "a trust domain must not be empty" }
        if text.count > 255 { return "trust domain \"\(text)\" is longer than 255 characters" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
        if !text.allSatisfy(allowed.contains) {
            return "trust domain \"\(text)\" may only hold letters, digits, '.', '-' and '_'"
        }
        return nil
    }
}

extension MeshConfigDecoder {
    /// Where istiod reads its mesh config in Kubernetes, and meshd in etcd (`<prefix>/v1/ConfigMap/istio-system/istio`).
    public static let configMapNamespace = "istio-system"
    public static let configMapName = "istio"
    /// Why the mesh config ConfigMap is no config object: it is the mesh config.
    public static let configMapSkipped =
        "the mesh config ConfigMap istio-system/istio is read as the mesh config (from Kubernetes or etcd; with files, pass it to --mesh-config), not as a config object; document skipped"

    /// True when `identity` names the mesh config's ConfigMap.
    public static func isMeshConfigMap(_ identity: ConfigDecoder.DocumentIdentity) -> Bool {
        identity.apiVersion == "v1" && identity.kind == "ConfigMap" && identity.namespace == configMapNamespace
            && identity.name == configMapName
    }

    /// The mesh config held by a ConfigMap document (YAML or JSON): its `data.mesh` key through `decode(yaml:file:)`
    /// (so field paths are the mesh config's; callers name the file `…#data.mesh`), istiod's defaults when the key
    /// is absent. A document that is not a mapping, or a `data.mesh` that is not a
    /// string, is an error naming the field.
    public static func decode(configMap text: String, file: String) -> MeshConfigDecodeResult {
        let context = DecodeContext(file: file, document: 1, lineOffset: 0)
        let root: Node?
        do {
            root = try ConfigDecoder.compose(text)
        } catch {
            let (message, line) = ConfigDecoder.describe(error, lineOffset: 0)
            context.error("", "ConfigMap YAML does not parse: \(message)", line: line)
            return result(nil, context)
        }
        guard let root, let mapping = YAMLField(node: root, path: "", context: context).mapping() else {
            context.error("", "expected a ConfigMap object")
            return result(nil, context)
        }
        guard let field = mapping.mapping("data")?["mesh"] else { return result(.default, context) }
        guard let mesh = field.string() else { return result(nil, context) }
        return decode(yaml: mesh, file: file)
    }
}
