extension ConfigDecoder {
    /// `spec` of a Telemetry: scope (`selector`, `targetRef(s)`), `accessLogging`, `tracing` and `metrics`.
    static func decodeTelemetry(meta: ObjectMeta, spec: YAMLMapping?) -> Telemetry {
        guard let spec else { return Telemetry(meta: meta) }
        spec.warnUnsupported(handled: ["selector", "targetRef", "targetRefs", "accessLogging", "tracing", "metrics"])
        let scope = decodePolicyScope(spec)
        var telemetry = Telemetry(meta: meta, selector: scope.selector, targetRefs: scope.targetRefs)
        for item in spec.sequence("accessLogging") {
            guard let entry = item.mapping() else { continue }
            telemetry.accessLogging.append(decodeAccessLogging(entry))
        }
        for item in spec.sequence("tracing") {
            guard let entry = item.mapping() else { continue }
            telemetry.tracing.append(decodeTracing(entry))
        }
        for item in spec.sequence("metrics") {
            guard let entry = item.mapping() else { continue }
            telemetry.metrics.append(decodeTelemetryMetrics(entry))
        }
        // Read and validated, but not yet turned into Envoy config: said, never silent.
        for (index, entry) in telemetry.tracing.enumerated() where entry.providers.count > 1 {
            spec.context.warning(
                spec.path.appendingField("tracing").appendingIndex(index).appendingField("providers"),
                "only the first provider is used, as in istiod (multiple providers are not supported)")
        }
        warnUnmappedMetrics(telemetry.metrics, spec: spec)
        return telemetry
    }

    /// Istio's standard metrics (istio_requests_total and the rest) come from istio-proxy's stats filter, which upstream
    /// Envoy lacks, so meshd never produces them. An override that turns metrics off is therefore already in force and
    /// says nothing; everything that would produce, keep or re-tag them is warned about at its path.
    static func warnUnmappedMetrics(_ metrics: [TelemetryMetrics], spec: YAMLMapping) {
        let reason =
            "upstream Envoy has no Istio stats filter, so meshd cannot produce Istio's standard metrics "
            + "(istio_requests_total and the rest)"
        for (index, entry) in metrics.enumerated() {
            let path = spec.path.appendingField("metrics").appendingIndex(index)
            if entry.overrides.isEmpty {
                spec.context.warning(path, reason + ", ignored")
            }
            for (position, override) in entry.overrides.enumerated() {
                let overridePath = path.appendingField("overrides").appendingIndex(position)
                if !override.tagOverrides.isEmpty {
                    spec.context.warning(
                        overridePath.appendingField("tagOverrides"),
                        reason + "; Envoy's own statistics have no per-request tags to override, ignored")
                } else if override.disabled != true {
                    spec.context.warning(overridePath, reason + ", ignored")
                }
            }
        }
    }

    /// `providers[].name`; an empty name is istiod's CRD error.
    static func decodeTelemetryProviders(_ entry: YAMLMapping) -> [String] {
        var names: [String] = []
        for item in entry.sequence("providers") {
            guard let provider = item.mapping() else { continue }
            provider.warnUnsupported(handled: ["name"])
            let name = provider.string("name") ?? ""
            if name.isEmpty {
                provider.context.error(provider.path.appendingField("name"), "should be at least 1 chars long")
                continue
            }
            names.append(name)
        }
        return names
    }

    /// `match.mode`; CLIENT_AND_SERVER when absent.
    static func decodeWorkloadMode(_ entry: YAMLMapping) -> TelemetryWorkloadMode {
        guard let match = entry.mapping("match") else { return .clientAndServer }
        match.warnUnsupported(handled: ["mode"])
        guard let field = match["mode"], let text = field.string() else { return .clientAndServer }
        guard let mode = TelemetryWorkloadMode(rawValue: text) else {
            field.context.error(
                field.path, "unknown mode \"\(text)\"; expected CLIENT_AND_SERVER, CLIENT or SERVER", node: field.node)
            return .clientAndServer
        }
        return mode
    }

    static func decodeAccessLogging(_ entry: YAMLMapping) -> TelemetryAccessLogging {
        entry.warnUnsupported(handled: ["providers", "disabled", "filter", "match"])
        var logging = TelemetryAccessLogging(
            providers: decodeTelemetryProviders(entry), disabled: entry.bool("disabled"),
            mode: decodeWorkloadMode(entry))
        if let filter = entry.mapping("filter") {
            filter.warnUnsupported(handled: ["expression"])
            let expression = filter.string("expression") ?? ""
            if expression.isEmpty {
                filter.context.error(filter.path.appendingField("expression"), "a filter needs a CEL expression")
            } else {
                logging.filterExpression = expression
            }
        }
        return logging
    }

    static func decodeTracing(_ entry: YAMLMapping) -> TelemetryTracing {
        entry.warnUnsupported(handled: [
            "providers", "match", "randomSamplingPercentage", "disableSpanReporting", "customTags",
            "useRequestIdForTraceSampling",
        ])
        var tracing = TelemetryTracing(
            providers: decodeTelemetryProviders(entry), mode: decodeWorkloadMode(entry),
            disableSpanReporting: entry.bool("disableSpanReporting"),
            useRequestIdForTraceSampling: entry.bool("useRequestIdForTraceSampling"))
        if let field = entry["randomSamplingPercentage"], let value = entry.double("randomSamplingPercentage") {
            if value < 0 || value > 100 {
                field.context.error(field.path, "must be in range [0.0, 100.0], found \(value)", node: field.node)
            } else {
                tracing.randomSamplingPercentage = value
            }
        }
        if let tags = entry.mapping("customTags") {
            for name in tags.keys {
                guard let tag = tags.mapping(name) else { continue }
                if let value = decodeCustomTag(tag) { tracing.customTags[name] = value }
            }
        }
        return tracing
    }

    /// One custom tag: exactly one of `literal.value`, `environment.name` (+ `defaultValue`) or `header.name`
    /// (+ `defaultValue`).
    static func decodeCustomTag(_ tag: YAMLMapping) -> TracingCustomTag? {
        tag.warnUnsupported(handled: ["literal", "environment", "header"])
        let kinds = ["literal", "environment", "header"].filter { tag.contains($0) }
        guard kinds.count == 1, let kind = kinds.first, let body = tag.mapping(kind) else {
            tag.context.error(
                tag.path,
                kinds.isEmpty
                    ? "a custom tag needs one of literal, environment or header"
                    : "a custom tag may set only one of literal, environment or header")
            return nil
        }
        switch kind {
        case "literal":
            body.warnUnsupported(handled: ["value"])
            let value = body.string("value") ?? ""
            if value.isEmpty {
                body.context.error(body.path.appendingField("value"), "literal tag value may not be empty")
            }
            return .literal(value)
        default:
            body.warnUnsupported(handled: ["name", "defaultValue"])
            let name = body.string("name") ?? ""
            if name.isEmpty {
                body.context.error(body.path.appendingField("name"), "\(kind) tag name may not be empty")
            }
            let fallback = body.string("defaultValue")
            return kind == "header"
                ? .header(name: name, defaultValue: fallback) : .environment(name: name, defaultValue: fallback)
        }
    }

    static func decodeTelemetryMetrics(_ entry: YAMLMapping) -> TelemetryMetrics {
        entry.warnUnsupported(handled: ["providers", "overrides", "reportingInterval"])
        var metrics = TelemetryMetrics(providers: decodeTelemetryProviders(entry))
        if let field = entry["reportingInterval"] {
            if let interval = field.goDuration() {
                if interval < .zero {
                    field.context.error(field.path, "must not be negative", node: field.node)
                }
            } else {
                field.context.error(field.path, "expected a duration such as 5s", node: field.node)
            }
        }
        for item in entry.sequence("overrides") {
            guard let override = item.mapping() else { continue }
            override.warnUnsupported(handled: ["match", "disabled", "tagOverrides"])
            var result = TelemetryMetricsOverride(disabled: override.bool("disabled"))
            if let match = override.mapping("match") {
                match.warnUnsupported(handled: ["metric", "customMetric", "mode"])
                if let field = match["customMetric"] {
                    let name = field.string() ?? ""
                    if name.isEmpty { field.context.error(field.path, "should be at least 1 chars long") }
                    result.metric = name
                } else if let name = match.string("metric") {
                    result.metric = name
                }
                if let field = match["mode"], let text = field.string(), TelemetryWorkloadMode(rawValue: text) == nil {
                    field.context.error(
                        field.path, "unknown mode \"\(text)\"; expected CLIENT_AND_SERVER, CLIENT or SERVER",
                        node: field.node)
                }
            }
            if let tags = override.mapping("tagOverrides") {
                for name in tags.keys {
                    guard let tag = tags.mapping(name) else { continue }
                    tag.warnUnsupported(handled: ["operation", "value"])
                    let operation = tag.string("operation") ?? "UPSERT"
                    let value = tag.string("value")
                    switch operation {
                    case "UPSERT":
                        if (value ?? "").isEmpty {
                            tag.context.error(tag.path.appendingField("value"), "must be set when operation is UPSERT")
                        }
                    case "REMOVE":
                        if value != nil {
                            tag.context.error(
                                tag.path.appendingField("value"), "must not be set when operation is REMOVE")
                        }
                    default:
                        tag.context.error(
                            tag.path.appendingField("operation"),
                            "unknown operation \"\(operation)\"; expected UPSERT or REMOVE")
                    }
                    result.tagOverrides.append(name)
                }
            }
            metrics.overrides.append(result)
        }
        return metrics
    }
}
