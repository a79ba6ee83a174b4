/// Produces every resource of one xDS type for one proxy, from that type's inputs (`ProxyInputs`) alone.
///
/// Implementations are stateless values; names need not be unique or sorted (the translator keeps the first
/// resource of each name and sorts them).
protocol ResourceGenerator: Sendable {
    associatedtype Inputs: ProxyInputs
    func resources(for context: GenerationContext<Inputs>) -> [TranslatedMessage]
}
