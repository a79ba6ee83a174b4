extension ConfigDecoder {
    /// `spec` of a ProxyConfig: `selector`, `concurrency`, `image.imageType` and `environmentVariables`.
    static func decodeProxyConfig(meta: ObjectMeta, spec: YAMLMapping?) -> ProxyConfig {
        guard let spec else { return ProxyConfig(meta: meta) }
        spec.warnUnsupported(handled: ["selector", "concurrency", "image", "environmentVariables"])
        var config = ProxyConfig(meta: meta)
        if let selector = spec.mapping("selector") {
            selector.warnUnsupported(handled: ["matchLabels"])
            let labels = selector.stringMap("matchLabels")
            config.selector = labels
            if labels.isEmpty {
                selector.context.warning(
                    selector.path,
                    "a selector without labels selects no workload (istiod skips it at every level); this ProxyConfig "
                        + "applies to nothing")
            }
        }
        config.settings = decodeProxySettings(spec, environmentKey: "environmentVariables")
        return config
    }

    /// The settings a ProxyConfig and the mesh config's `defaultConfig` share: `concurrency` (an int32),
    /// `image.imageType`, and the environment variables under `environmentKey` (`environmentVariables` in a
    /// ProxyConfig, `proxyMetadata` in `defaultConfig`).
    static func decodeProxySettings(_ mapping: YAMLMapping, environmentKey: String) -> ProxySettings {
        var settings = ProxySettings()
        settings.concurrency = mapping.int("concurrency", .int32)
        if let image = mapping.mapping("image") {
            image.warnUnsupported(handled: ["imageType"])
            settings.imageType = image.string("imageType")
        }
        if let variables = mapping.mapping(environmentKey) {
            for name in variables.keys {
                guard let value = variables.string(name) else { continue }
                settings.environmentVariables[name] = value
            }
        }
        return settings
    }
}
