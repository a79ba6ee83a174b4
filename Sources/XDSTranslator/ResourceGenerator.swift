/// Produces every resource of one xDS type for one proxy.
///
/// Implementations are stateless values; names need not be unique or sorted (the translator keeps the first
/// resource of each name and sorts them).
protocol ResourceGenerator: Sendable {
    func resources(for context: GenerationContext) -> [TranslatedMessage]
}
