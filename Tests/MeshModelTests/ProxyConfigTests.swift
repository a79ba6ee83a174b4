import MeshModel
import Testing

/// ProxyConfig (networking.istio.io v1beta1) and the mesh config's `defaultConfig`: what is read, istiod's refusals
/// with their field paths, and the merge over mesh, root namespace, namespace and workload levels.
@Suite("ProxyConfig")
struct ProxyConfigTests {
    static func proxyConfig(_ spec: String, name: String = "pc", namespace: String = "default") -> String {
        """
        apiVersion: networking.istio.io/v1beta1
        kind: ProxyConfig
        metadata:
          name: \(name)
          namespace: \(namespace)
        spec:
        \(spec)
        """
    }

    static func objects(_ yaml: String) -> [ConfigObject] {
        let result = decode(yaml)
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
        return result.objects
    }

    @Test func decodesEveryField() throws {
        let yaml = Self.proxyConfig(
            """
              selector:
                matchLabels: {app: ratings}
              concurrency: 3
              image: {imageType: distroless}
              environmentVariables: {ISTIO_META_NETWORK: vm-net, LOG_FORMAT: json}
            """)
        guard case .proxyConfig(let config) = onlyResource(decode(yaml)) else {
            Issue.record("not a ProxyConfig")
            return
        }
        #expect(config.selector == ["app": "ratings"])
        #expect(config.settings.concurrency == 3)
        #expect(config.settings.imageType == "distroless")
        #expect(config.settings.environmentVariables == ["ISTIO_META_NETWORK": "vm-net", "LOG_FORMAT": "json"])
        #expect(config.settings.nodeMetadata == ["NETWORK": "vm-net"])
        #expect(decode(yaml).warnings.isEmpty)
    }

    @Test(arguments: [
        ("  concurrency: -2", "spec.concurrency", "greater than or equal to 0"),
        ("  concurrency: 1.5", "spec.concurrency", "expected an integer"),
        ("  concurrency: 3000000000", "spec.concurrency", "does not fit"),
        ("  selector:\n    matchLabels: {\"\": web}", "spec.selector.matchLabels", "key must not be empty"),
        ("  selector:\n    matchLabels: {app: \"web*\"}", "spec.selector.matchLabels", "wildcard"),
        ("  image: [distroless]", "spec.image", "expected a mapping"),
    ])
    func refusals(spec: String, path: String, reason: String) throws {
        let error = try #require(onlyError(decode(Self.proxyConfig(spec))))
        #expect(error.fieldPath == path)
        #expect(error.reason.contains(reason), "\(error)")
    }

    @Test func unknownFieldsAndAnEmptySelectorWarn() {
        let result = decode(Self.proxyConfig("  selector: {matchLabels: {}}\n  drainDuration: 5s"))
        #expect(result.errors.isEmpty)
        #expect(Set(result.warnings.map(\.fieldPath)) == ["spec.selector", "spec.drainDuration"])
    }

    @Test func onlyV1beta1IsServed() throws {
        let yaml = Self.proxyConfig("  concurrency: 1").replacingOccurrences(of: "v1beta1", with: "v1")
        let error = try #require(onlyError(decode(yaml)))
        #expect(error.fieldPath == "apiVersion")
    }

    /// istiod's `EffectiveProxyConfig`: defaults < mesh `defaultConfig` < root namespace < namespace < workload;
    /// concurrency and image replaced, environment variables merged by name; the first (by name) of each level.
    @Test func levelsMergeAsIstiodMergesThem() throws {
        let mesh = try #require(
            MeshConfigDecoder.decode(
                yaml: """
                    defaultConfig:
                      concurrency: 4
                      image: {imageType: debug}
                      proxyMetadata: {A: mesh, B: mesh}
                    """, file: "mesh.yaml"
            ).config)
        let yaml = [
            Self.proxyConfig("  concurrency: 3\n  environmentVariables: {B: root, C: root}", namespace: "istio-system"),
            Self.proxyConfig("  environmentVariables: {C: ns}", name: "a-ns", namespace: "shop"),
            Self.proxyConfig("  concurrency: 9", name: "b-ns-ignored", namespace: "shop"),
            Self.proxyConfig(
                "  selector: {matchLabels: {app: cart}}\n  concurrency: 1\n  image: {imageType: distroless}",
                name: "cart", namespace: "shop"),
            Self.proxyConfig("  selector: {matchLabels: {}}\n  concurrency: 7", name: "empty", namespace: "shop"),
        ].joined(separator: "\n---\n")
        let snapshot = MeshSnapshot.build(hashed: Self.objects(yaml).map(HashedConfigObject.init), meshConfig: mesh)

        let cart = snapshot.proxySettings(namespace: "shop", labels: ["app": "cart", "version": "v1"])
        #expect(cart.concurrency == 1)
        #expect(cart.imageType == "distroless")
        #expect(cart.environmentVariables == ["A": "mesh", "B": "root", "C": "ns"])
        #expect(
            snapshot.proxyConfigs(namespace: "shop", labels: ["app": "cart"]).map(\.meta.name)
                == ["pc", "a-ns", "cart"])

        let other = snapshot.proxySettings(namespace: "shop", labels: ["app": "web"])
        #expect(other.concurrency == 3, "the namespace level sets no concurrency; the root level's stays")
        #expect(other.imageType == "debug")

        let elsewhere = snapshot.proxySettings(namespace: "billing", labels: [:])
        #expect(elsewhere.concurrency == 3 && elsewhere.environmentVariables["C"] == "root")
        let bare = MeshSnapshot.build(from: []).proxySettings(namespace: "shop", labels: [:])
        #expect(bare == ProxySettings(concurrency: 2), "istiod's default concurrency is 2")
    }

    @Test func theRootNamespaceCountsOnce() throws {
        let yaml = [
            Self.proxyConfig("  concurrency: 3", name: "a", namespace: "istio-system"),
            Self.proxyConfig("  concurrency: 5", name: "b", namespace: "istio-system"),
        ].joined(separator: "\n---\n")
        let snapshot = MeshSnapshot.build(from: Self.objects(yaml))
        #expect(snapshot.proxyConfigs(namespace: "istio-system", labels: [:]).map(\.meta.name) == ["a"])
        #expect(snapshot.proxySettings(namespace: "istio-system", labels: [:]).concurrency == 3)
    }

    @Test(arguments: [
        ("envoyproxy/envoy:v1.40.0", "distroless", "envoyproxy/envoy:v1.40.0-distroless"),
        ("envoyproxy/envoy:v1.40.0-debug", "distroless", "envoyproxy/envoy:v1.40.0-distroless"),
        ("envoyproxy/envoy:v1.40.0-distroless", "default", "envoyproxy/envoy:v1.40.0"),
        ("registry:5000/envoy", "debug", "registry:5000/envoy:latest-debug"),
    ])
    func imageTypeIsATagSuffix(base: String, type: String, image: String) {
        #expect(ProxySettings(imageType: type).image(from: base) == image)
        #expect(ProxySettings().image(from: base) == base)
    }

    @Test func meshDefaultConfigFieldsAndRefusals() throws {
        let result = MeshConfigDecoder.decode(
            yaml: """
                defaultConfig:
                  concurrency: 0
                  tracing: {sampling: 12.5, zipkin: {address: z:9411}}
                  holdApplicationUntilProxyStarts: true
                  terminationDrainDuration: 12.5s
                  drainDuration: 45s
                """, file: "mesh.yaml")
        let config = try #require(result.config)
        #expect(config.defaultConfig.concurrency == 0)
        #expect(config.defaultConfig.tracingSampling == 12.5)
        // The injector's fields are read; the rest are warned about with their path.
        #expect(config.defaultConfig.holdApplicationUntilProxyStarts == true)
        #expect(config.defaultConfig.terminationDrainDuration == .milliseconds(12_500))
        #expect(
            Set(result.warnings.map(\.fieldPath)) == ["defaultConfig.tracing.zipkin", "defaultConfig.drainDuration"])
        let badDrain = MeshConfigDecoder.decode(
            yaml: "defaultConfig: {terminationDrainDuration: soon}", file: "mesh.yaml")
        #expect(badDrain.errors.map(\.fieldPath) == ["defaultConfig.terminationDrainDuration"])

        let refused = MeshConfigDecoder.decode(yaml: "defaultConfig: {concurrency: -1}", file: "mesh.yaml")
        #expect(refused.config == nil)
        #expect(refused.errors.map(\.fieldPath) == ["defaultConfig.concurrency"])
        let negative = MeshConfigDecoder.decode(yaml: "defaultConfig: {tracing: {sampling: -3}}", file: "m.yaml")
        #expect(negative.errors.map(\.fieldPath) == ["defaultConfig.tracing.sampling"])
        // istiod: 0 is unset, above 100 is 1%.
        let zero = MeshConfigDecoder.decode(yaml: "defaultConfig: {tracing: {sampling: 0}}", file: "m.yaml")
        #expect(zero.config?.defaultConfig.tracingSampling == nil && zero.warnings.count == 1)
        let high = MeshConfigDecoder.decode(yaml: "defaultConfig: {tracing: {sampling: 250}}", file: "m.yaml")
        #expect(high.config?.defaultConfig.tracingSampling == 1.0)
    }
}
