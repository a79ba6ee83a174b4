import Yams

/// Reads Istio and Kubernetes YAML into typed, validated objects, with a precise diagnostic for every problem.
///
/// Pure and thread-safe: no I/O and no shared state. A document with an error yields no object; the other
/// documents of the file still decode.
public enum ConfigDecoder {
    /// Decodes every document of a (multi-document) YAML text. `file` is only used to name locations. A file or
    /// document beyond `limits` is refused before it is parsed.
    public static func decode(yaml: String, file: String, limits: DecodeLimits = .default) -> DecodeResult {
        let size = yaml.utf8.count
        if size > limits.maxFileBytes { return refusal(file, tooLarge: size, limits: limits) }
        var result = DecodeResult()
        var seen: [ResourceKey: SourceLocation] = [:]
        for document in YAMLDocumentSplitter.split(yaml) {
            for outcome in decodeDocument(document, file: file, limits: limits) {
                var outcome = outcome
                if let object = outcome.object {
                    if let first = seen[object.key] {
                        outcome.context.error(
                            "", "duplicate \(object.key): already declared at \(first.description)")
                        outcome.object = nil
                    } else {
                        seen[object.key] = object.source
                    }
                }
                if let object = outcome.object { result.objects.append(object) }
                result.errors += byLine(outcome.context.errors)
                result.warnings += byLine(outcome.context.warnings)
            }
        }
        return result
    }

    /// Diagnostics of one object in file order (unknown lines last), keeping the order found for equal lines.
    static func byLine(_ diagnostics: [ConfigDiagnostic]) -> [ConfigDiagnostic] {
        diagnostics.enumerated()
            .sorted { ($0.element.line ?? Int.max, $0.offset) < ($1.element.line ?? Int.max, $1.offset) }
            .map(\.element)
    }

    /// The object (nil if refused or skipped) and the diagnostics of one document or `List` item.
    struct Outcome {
        var object: ConfigObject?
        var context: DecodeContext
    }

    static func decodeDocument(
        _ document: YAMLDocumentText, file: String, limits: DecodeLimits = .default
    )
        -> [Outcome]
    {
        let context = DecodeContext(file: file, document: document.index, lineOffset: document.lineOffset)
        if let reason = limitProblem(document, limits: limits) {
            context.error("", reason.message, line: reason.line)
            return [Outcome(object: nil, context: context)]
        }
        let root: Node?
        do {
            root = try compose(document.text)
        } catch {
            let (message, line) = describe(error, lineOffset: document.lineOffset)
            context.error("", "YAML does not parse: \(message)", line: line)
            return [Outcome(object: nil, context: context)]
        }
        guard let root else { return [] }
        let field = YAMLField(node: root, path: "", context: context)
        if field.isNull { return [] }
        guard let mapping = field.mapping() else { return [Outcome(object: nil, context: context)] }
        if mapping.string("kind") == "List", mapping.contains("items") {
            return decodeList(mapping, document: document, file: file)
        }
        let object = decodeObject(mapping, document: document.index)
        return [Outcome(object: object, context: context)]
    }

    /// The document's node tree, reading `[a, fe80::]` as Go's parser does (`FlowColonRepair`).
    static func compose(_ text: String) throws -> Node? {
        var text = text
        var repairs = 0
        while true {
            do {
                // An explicit encoding: the default one reads the process environment on every call. The basic
                // resolver: the decoder reads scalars as text itself, and the default one runs regular expressions
                // over every scalar each time Yams hashes a mapping key (its duplicate-key check).
                return try Yams.compose(yaml: text, .basic, .default, .utf8)
            } catch {
                guard repairs < FlowColonRepair.maximumRepairs,
                    let repaired = FlowColonRepair.repaired(text, after: error)
                else { throw error }
                text = repaired
                repairs += 1
            }
        }
    }

    /// Why a document is not even parsed: too large, or aliases that expand to too many nodes.
    static func limitProblem(_ document: YAMLDocumentText, limits: DecodeLimits) -> (message: String, line: Int)? {
        let size = document.text.utf8.count
        if size > limits.maxDocumentBytes {
            return (
                "document is \(size) bytes, more than the limit of \(limits.maxDocumentBytes) bytes; not decoded",
                document.lineOffset + 1
            )
        }
        let aliasLimit = AliasExpansion.Size(nodes: limits.maxAliasNodes, bytes: limits.maxAliasBytes)
        if let excess = AliasExpansion.firstExcess(in: document.text, limit: aliasLimit) {
            let what =
                excess.nodes > limits.maxAliasNodes
                ? "more than \(limits.maxAliasNodes) nodes" : "more than \(limits.maxAliasBytes) bytes of text"
            return (
                "aliases expand to \(what) (the limit) by alias *\(excess.anchor); document not decoded",
                document.lineOffset + excess.line + 1
            )
        }
        return nil
    }

    /// A `kind: List` document: every item is decoded (and refused) on its own.
    static func decodeList(_ list: YAMLMapping, document: YAMLDocumentText, file: String) -> [Outcome] {
        guard case .sequence(let items) = list["items"]?.node else {
            _ = list["items"]?.sequence()
            return list.context.errors.isEmpty ? [] : [Outcome(object: nil, context: list.context)]
        }
        return items.enumerated().map { index, node in
            let context = DecodeContext(
                file: file, document: document.index, lineOffset: document.lineOffset, pathPrefix: "items[\(index)]")
            let field = YAMLField(node: node, path: "", context: context)
            guard let mapping = field.mapping() else { return Outcome(object: nil, context: context) }
            return Outcome(object: decodeObject(mapping, document: document.index), context: context)
        }
    }

    /// Decodes and validates one object mapping; nil when the kind is skipped or any error was found.
    static func decodeObject(_ root: YAMLMapping, document: Int) -> ConfigObject? {
        let context = root.context
        guard let kindName = root.string("kind"), !kindName.isEmpty else {
            context.error("kind", "required")
            return nil
        }
        // Gateway API kinds share names with Istio's (`Gateway`) but are another API; like any kind meshd does not
        // read yet they are skipped, not refused.
        if let apiVersion = root.string("apiVersion"), let group = apiVersion.split(separator: "/").first,
            foreignGroups.contains(String(group))
        {
            let name = root.mapping("metadata")?.string("name").map { " \"\($0)\"" } ?? ""
            context.warning(
                "apiVersion",
                "\(kindName)\(name) of the Gateway API (\(group)) is not supported by meshd yet; document skipped")
            return nil
        }
        guard let kind = ResourceKind(rawValue: kindName) else {
            let name = root.mapping("metadata")?.string("name").map { " \"\($0)\"" } ?? ""
            if kindName == "WasmPlugin" {
                // Said plainly: a plugin that is not loaded changes what the selected workloads do, and one in the
                // AUTHN or AUTHZ phase would have checked their requests.
                context.warning(
                    "kind",
                    "WasmPlugin\(name) is not supported by meshd: its module is neither fetched nor loaded, so the "
                        + "workloads it selects run without it (check that none relies on it for authentication or "
                        + "authorization); document skipped")
                return nil
            }
            if kindName == "ConfigMap", let metadata = root.mapping("metadata"),
                metadata.string("name") == MeshConfigDecoder.configMapName,
                metadata.string("namespace") == MeshConfigDecoder.configMapNamespace
            {
                context.warning("kind", MeshConfigDecoder.configMapSkipped)
                return nil
            }
            context.warning("kind", "unknown kind \"\(kindName)\"\(name); document skipped")
            return nil
        }
        var meta = decodeMetadata(root.mapping("metadata"), root: root)
        // Nodes are cluster-scoped: they belong to no namespace.
        if kind == .node { meta.namespace = "" }
        if !meta.name.isEmpty { context.object = ResourceKey(kind: kind, namespace: meta.namespace, name: meta.name) }
        checkAPIVersion(root, kind: kind)
        let topLevel: Set<String> =
            switch kind {
            case .endpointSlice: endpointSliceFields
            case .secret: secretFields
            default: ["spec"]
            }
        root.warnUnsupported(handled: topLevel.union(["apiVersion", "kind", "metadata"]), ignored: ["status"])

        let spec = root.mapping("spec")
        let resource: MeshResource?
        switch kind {
        case .service: resource = .service(decodeService(meta: meta, spec: spec))
        case .pod: resource = .pod(decodePod(meta: meta, spec: spec, status: root.mapping("status")))
        case .workloadEntry: resource = .workloadEntry(decodeWorkloadEntry(meta: meta, spec: spec))
        case .serviceEntry: resource = .serviceEntry(decodeServiceEntry(meta: meta, spec: spec))
        case .virtualService: resource = .virtualService(decodeVirtualService(meta: meta, spec: spec))
        case .destinationRule: resource = .destinationRule(decodeDestinationRule(meta: meta, spec: spec))
        case .peerAuthentication: resource = .peerAuthentication(decodePeerAuthentication(meta: meta, spec: spec))
        case .endpointSlice: resource = .endpointSlice(decodeEndpointSlice(meta: meta, root: root))
        case .sidecar: resource = .sidecar(decodeSidecar(meta: meta, spec: spec))
        case .gateway: resource = .gateway(decodeGateway(meta: meta, spec: spec))
        case .secret: resource = decodeSecret(meta: meta, root: root).map { .secret($0) }
        case .authorizationPolicy:
            resource = .authorizationPolicy(decodeAuthorizationPolicy(meta: meta, spec: spec, root: root))
        case .requestAuthentication:
            resource = .requestAuthentication(decodeRequestAuthentication(meta: meta, spec: spec))
        case .telemetry: resource = .telemetry(decodeTelemetry(meta: meta, spec: spec))
        case .envoyFilter: resource = .envoyFilter(decodeEnvoyFilter(meta: meta, spec: spec, root: root))
        case .proxyConfig: resource = .proxyConfig(decodeProxyConfig(meta: meta, spec: spec))
        case .workloadGroup:
            resource = decodeWorkloadGroup(meta: meta, spec: spec, root: root).map { .workloadGroup($0) }
        case .node: resource = .node(KubernetesNode(meta: meta))
        }
        guard let resource else { return nil }
        // A field the decoder could not read was left at a default; the validator must not report that default.
        let unreadable = context.errorPaths
        for issue in ResourceValidator.validate(resource) where !unreadable.contains(issue.fieldPath) {
            context.error(issue.fieldPath, issue.reason)
        }
        guard context.errors.isEmpty else { return nil }
        let location = SourceLocation(file: context.file, document: document, line: context.line(forPath: ""))
        return ConfigObject(resource: resource, source: location)
    }

    /// API groups whose kinds meshd skips whatever their name (they may reuse the name of a kind meshd reads).
    static let foreignGroups: Set<String> = ["gateway.networking.k8s.io", "gateway.networking.x-k8s.io"]

    /// The apiVersions accepted for each kind.
    static func supportedAPIVersions(_ kind: ResourceKind) -> [String] {
        switch kind {
        case .service, .pod, .node: ["v1"]
        case .workloadEntry, .serviceEntry, .virtualService, .destinationRule:
            ["networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3"]
        case .peerAuthentication, .authorizationPolicy, .requestAuthentication:
            ["security.istio.io/v1", "security.istio.io/v1beta1"]
        case .endpointSlice: ["discovery.k8s.io/v1"]
        case .sidecar: ["networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3"]
        case .gateway: ["networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3"]
        case .secret: ["v1"]
        case .telemetry: ["telemetry.istio.io/v1", "telemetry.istio.io/v1alpha1"]
        case .envoyFilter: ["networking.istio.io/v1alpha3"]
        case .proxyConfig: ["networking.istio.io/v1beta1"]
        case .workloadGroup: ["networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3"]
        }
    }

    static func checkAPIVersion(_ root: YAMLMapping, kind: ResourceKind) {
        let supported = supportedAPIVersions(kind)
        guard let apiVersion = root.string("apiVersion") else {
            root.context.error("apiVersion", "required; expected one of \(supported.joined(separator: ", "))")
            return
        }
        if !supported.contains(apiVersion) {
            root.context.error(
                "apiVersion",
                "\(kind.rawValue) \"\(apiVersion)\" is not supported; expected one of \(supported.joined(separator: ", "))"
            )
        }
    }

    /// A parse error's message with the line made file-relative.
    static func describe(_ error: any Error, lineOffset: Int) -> (message: String, line: Int?) {
        guard let yamlError = error as? YamlError else { return ("\(error)", nil) }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let prefix = context.map { "\($0.text) " } ?? ""
            return ("\(prefix)\(problem) at column \(mark.column)", mark.line + lineOffset)
        default:
            return ("\(yamlError)", nil)
        }
    }
}
