extension MeshConfigDecoder {
    /// `defaultConfig`, the mesh-wide ProxyConfig: `concurrency`, `image.imageType`, `proxyMetadata`,
    /// `tracing.sampling`, and for injection `holdApplicationUntilProxyStarts` and `terminationDrainDuration` are read; every other field is warned about with its path (`defaultConfig.drainDuration`).
    static func decodeDefaultConfig(_ mesh: YAMLMapping, into config: inout MeshConfig) {
        guard let section = mesh.mapping("defaultConfig") else { return }
        warnIgnored(
            section,
            handled: [
                "concurrency", "image", "proxyMetadata", "tracing", "holdApplicationUntilProxyStarts",
                "terminationDrainDuration",
            ])
        var settings = ConfigDecoder.decodeProxySettings(section, environmentKey: "proxyMetadata")
        if section["holdApplicationUntilProxyStarts"] != nil {
            settings.holdApplicationUntilProxyStarts = section.bool("holdApplicationUntilProxyStarts")
        }
        if let field = section["terminationDrainDuration"], let drain = field.goDuration() {
            if drain < .zero {
                field.context.error(field.path, "must not be negative", node: field.node)
            } else {
                settings.terminationDrainDuration = drain
            }
        }
        if let concurrency = settings.concurrency, concurrency < 0, let field = section["concurrency"] {
            field.context.error(
                field.path, "must be greater than or equal to 0, found \(concurrency)", node: field.node)
            settings.concurrency = nil
        }
        if let tracing = section.mapping("tracing") {
            warnIgnored(tracing, handled: ["sampling"])
            if let field = tracing["sampling"], let sampling = tracing.double("sampling") {
                if sampling < 0 {
                    field.context.error(
                        field.path, "must be between 0.0 and 100.0, found \(sampling)", node: field.node)
                } else if sampling == 0 {
                    // istiod reads 0 as unset (proxyConfigSamplingValue); a Telemetry samples nothing explicitly.
                    field.context.warning(
                        field.path,
                        "0 means unset in istiod, so the default 1% applies; to trace nothing, set a Telemetry's "
                            + "randomSamplingPercentage: 0", node: field.node)
                } else if sampling > 100 {
                    field.context.warning(
                        field.path, "above 100: istiod samples 1% instead, and so does meshd", node: field.node)
                    settings.tracingSampling = 1.0
                } else {
                    settings.tracingSampling = sampling
                }
            }
        }
        config.defaultConfig = settings
    }
}
