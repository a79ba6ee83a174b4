import MeshModel
import Testing

/// `istioctl analyze`-style warnings: references to hosts and subsets that do not exist.
@Suite("Config analysis warnings")
struct DestinationRuleAnalysisTests {
    static let mesh = """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          ports: [{name: http, port: 9080}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: wiki, namespace: bookinfo}
        spec:
          hosts: ["*.wikipedia.org"]
          ports: [{name: https, number: 443, protocol: TLS}]
          resolution: NONE
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          host: reviews
          subsets:
          - {name: v1, labels: {version: v1}}
        """

    func analyze(_ extra: String) -> [ConfigDiagnostic] {
        let result = decode(Self.mesh + "\n---\n" + extra)
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
        return ConfigAnalysis.analyze(MeshSnapshot.build(from: result.objects))
    }

    @Test func routeToAnUndefinedSubsetAndAnUnknownHost() throws {
        let warnings = analyze(
            """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              hosts: [reviews, "*.wikipedia.org"]
              http:
              - route:
                - destination: {host: reviews, subset: v1}
                  weight: 50
                - destination: {host: reviews, subset: v3}
                  weight: 50
                mirror: {host: shadow}
              tls:
              - match: [{sniHosts: [en.wikipedia.org]}]
                route:
                - destination: {host: en.wikipedia.org}
            """)
        #expect(
            warnings.map { "\($0.object?.description ?? "") \($0.fieldPath)" } == [
                "VirtualService/bookinfo/reviews spec.http[0].route[1].destination.subset",
                "VirtualService/bookinfo/reviews spec.http[0].mirror.host",
            ])
        let subset = try #require(warnings.first)
        #expect(subset.severity == .warning)
        #expect(
            subset.reason
                == "IST0101 ReferencedResourceNotFound: referenced host+subset in destinationrule not found: \"reviews+v3\""
        )
        #expect(subset.file == "test.yaml")
        #expect(subset.line != nil && subset.line == warnings.last?.line, "both name the VirtualService's line")
        #expect(warnings.last?.reason.contains("referenced host not found: \"shadow\"") == true)
    }

    @Test func destinationRuleForAHostThatMatchesNoService() {
        let warnings = analyze(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: ratings, namespace: bookinfo}
            spec:
              host: ratings
              trafficPolicy: {loadBalancer: {simple: RANDOM}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: wildcard, namespace: bookinfo}
            spec:
              host: "*.bookinfo.svc.cluster.local"
              trafficPolicy: {loadBalancer: {simple: RANDOM}}
            """)
        #expect(warnings.map(\.object?.name) == ["ratings"])
        #expect(warnings.first?.fieldPath == "spec.host")
        #expect(warnings.first?.reason.contains("\"ratings\"") == true)
    }

    @Test func cleanConfigurationHasNoWarnings() {
        #expect(analyze("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}").isEmpty)
    }
}
