import EnvoyAPI
import MeshModel

/// ECDS: the filter configs that EnvoyFilter `EXTENSION_CONFIG` patches add (`operation: ADD`, a
/// `TypedExtensionConfig` value), served by name to the filters whose `config_discovery` asks for them, as istiod
/// serves them: a proxy sees the configs of every EnvoyFilter that selects it (`workloadSelector`, `match.proxy`),
/// whatever the patch's context, as istiod; the first of a name wins, in istiod's EnvoyFilter order.
struct ExtensionConfigGenerator: ResourceGenerator {
    /// Only EnvoyFilters shape these configs.
    static let dependencies = ConfigDependencies(
        kinds: [.envoyFilter], meshConfig: false, fetchedJWKS: false, endpoints: .none)

    func resources(for context: GenerationContext<ExtensionConfigInputs>) -> [TranslatedMessage] {
        context.inputs.envoyFilters.of(.extensionConfig).compactMap { applied in
            guard applied.patch.operation == .add,
                let config = applied.patch.value?.as(Envoy_Config_Core_V3_TypedExtensionConfig.self),
                !config.name.isEmpty
            else { return nil }
            return TranslatedMessage(name: config.name, message: config, sources: [applied.filter])
        }
    }
}
