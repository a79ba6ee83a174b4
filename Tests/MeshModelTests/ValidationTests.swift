import MeshModel
import Testing

/// Each rule refuses the document with exactly one error naming the file, line, object and field.
@Suite("Validation rules")
struct ValidationTests {
    let reviews = ResourceKey(kind: .virtualService, namespace: "bookinfo", name: "reviews")

    @Test func negativeWeight() throws {
        let result = decode(
            virtualService(
                http: """
                      - route:
                        - destination: {host: reviews, subset: v1}
                          weight: -150
                        - destination: {host: reviews, subset: v2}
                          weight: -50
                    """))
        #expect(result.objects.isEmpty)
        #expect(result.errors.count == 2)
        let first = try #require(result.errors.first)
        #expect(first.file == "test.yaml")
        #expect(first.line == 12)
        #expect(first.object == reviews)
        #expect(first.fieldPath == "spec.http[0].route[0].weight")
        #expect(first.severity == .error)
        #expect(
            first.description.hasPrefix("test.yaml:12: VirtualService/bookinfo/reviews: spec.http[0].route[0].weight: ")
        )
    }

    /// Istio's weights are relative (Envoy sums them): 50 + 40 is valid, as istiod's webhook accepts it.
    @Test func weightsNeedNotAddUpTo100() {
        let result = decode(
            virtualService(
                http: """
                      - route:
                        - destination: {host: reviews, subset: v1}
                          weight: 50
                        - destination: {host: reviews, subset: v2}
                          weight: 40
                    """))
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
    }

    @Test func splitWithoutWeightsIsRefused() throws {
        let result = decode(
            virtualService(
                http: """
                      - route:
                        - destination: {host: reviews, subset: v1}
                        - destination: {host: reviews, subset: v2}
                    """))
        #expect(try #require(onlyError(result)).fieldPath == "spec.http[0].route")
    }

    /// A lone destination takes all traffic whatever its weight, as in istiod.
    @Test func loneDestinationWithExplicitPartialWeightIsAccepted() {
        let result = decode(
            virtualService(
                http: """
                      - route:
                        - destination: {host: reviews}
                          weight: 30
                    """))
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
    }

    @Test(arguments: [
        ("^/(?=api)", "lookaround"), ("(a)\\\\1", "backreference"), ("[unclosed", "does not compile"),
        ("(?<!x)y", "lookaround"),
    ])
    func invalidRegex(pattern: String, why: String) throws {
        let result = decode(
            virtualService(
                http: """
                      - match:
                        - uri:
                            regex: "\(pattern)"
                        route:
                        - destination: {host: reviews}
                    """))
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.http[0].match[0].uri.regex")
        #expect(error.line == 12)
        #expect(error.reason.contains(why), "\(error.reason)")
    }

    @Test func escapedBackslashIsNotABackreference() {
        let result = decode(
            virtualService(
                http: """
                      - match:
                        - headers:
                            x-path: {regex: "a\\\\\\\\1"}
                        route:
                        - destination: {host: reviews}
                    """))
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
    }

    @Test(arguments: ["{exact: a, prefix: b}", "{prefix: a, regex: b}"])
    func stringMatchNeedsAtMostOneKind(match: String) throws {
        let result = decode(
            virtualService(
                http: """
                      - match:
                        - headers:
                            x-user: \(match)
                        route:
                        - destination: {host: reviews}
                    """))
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.http[0].match[0].headers.x-user")
        #expect(error.line == 12)
        #expect(error.object == reviews)
    }

    @Test func destinationHostIsRequired() throws {
        let result = decode(
            virtualService(
                http: """
                      - route:
                        - destination:
                            subset: v1
                    """))
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.http[0].route[0].destination.host")
        #expect(error.line == 11)
    }

    /// Without hosts a VirtualService is a delegate, which may not name gateways.
    @Test func virtualServiceWithoutHostsIsADelegate() throws {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: empty}
            spec:
              gateways: [edge]
              http:
              - route:
                - destination: {host: a}
            """)
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.gateways")
        #expect(error.line == 5)
        #expect(error.object == ResourceKey(kind: .virtualService, namespace: "default", name: "empty"))
    }

    @Test func metadataNameIsRequired() throws {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              namespace: x
            spec:
              host: reviews
            """)
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "metadata.name")
        #expect(error.line == 3)
        #expect(error.object == nil)
        #expect(error.description == "test.yaml:3: metadata.name: required")
    }

    @Test func destinationRuleHostIsRequired() throws {
        let result = decode(
            "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  subsets: []\n")
        #expect(try #require(onlyError(result)).fieldPath == "spec.host")
    }

    @Test func duplicateSubsetNames() throws {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              host: reviews
              subsets:
              - name: v1
                labels: {version: v1}
              - name: v1
                labels: {version: v2}
            """)
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.subsets[1].name")
        #expect(error.line == 9)
        #expect(error.object == ResourceKey(kind: .destinationRule, namespace: "bookinfo", name: "reviews"))
    }

    @Test func unknownLoadBalancer() throws {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer:
                  simple: FASTEST
            """)
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.trafficPolicy.loadBalancer.simple")
        #expect(error.line == 8)
        #expect(error.reason.contains("FASTEST"))
    }

    @Test(arguments: [("resolution", "MAGIC"), ("location", "OUTSIDE")])
    func serviceEntryEnums(field: String, value: String) throws {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: ext}
            spec:
              hosts: [api.example.com]
              ports: [{number: 443, name: https, protocol: TLS}]
              \(field): \(value)
            """)
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.\(field)")
        #expect(error.line == 7)
    }

    @Test func serviceEntryPortOutOfRange() throws {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: ext}
            spec:
              hosts: [api.example.com]
              ports:
              - number: 70000
                name: https
            """)
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.ports[0].number")
        #expect(error.line == 7)
    }

    /// istiod requires hosts but not ports (its own test data accepts a ServiceEntry without any); meshd warns.
    @Test func serviceEntryHostsAreRequiredPortsAreNot() {
        let result = decode(
            "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext}\nspec: {resolution: DNS}\n")
        #expect(result.errors.map(\.fieldPath) == ["spec.hosts"])
        let portless = decode(
            "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext}\nspec: {hosts: [example.com]}\n"
        )
        #expect(portless.errors.isEmpty, "\(portless.errors)")
        #expect(portless.objects.count == 1)
        #expect(
            portless.warnings.map(\.description) == [
                "test.yaml:4: ServiceEntry/default/ext: spec.ports: no ports: the entry adds no cluster or listener"
            ])
    }

    @Test func staticServiceEntryEndpointsMustBeIPs() throws {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: ext}
            spec:
              hosts: [db.internal]
              resolution: STATIC
              ports: [{number: 5432, name: tcp}]
              endpoints:
              - address: db-1.internal
            """)
        #expect(try #require(onlyError(result)).fieldPath == "spec.endpoints[0].address")
    }

    @Test func workloadEntryAddressIsRequired() throws {
        let result = decode(
            "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: vm}\nspec:\n  labels: {app: a}\n"
        )
        #expect(try #require(onlyError(result)).fieldPath == "spec.address")
    }

    @Test func servicePortOutOfRange() throws {
        let result = decode(
            """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              ports:
              - port: 0
            """)
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.ports[0].port")
        #expect(error.line == 6)
    }

    @Test func unsupportedAPIVersionIsAnError() throws {
        let result = decode(
            "apiVersion: networking.istio.io/v2\nkind: VirtualService\nmetadata: {name: vs}\nspec: {hosts: [a], http: [{route: [{destination: {host: a}}]}]}\n"
        )
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "apiVersion")
        #expect(error.line == 1)
        #expect(error.object == ResourceKey(kind: .virtualService, namespace: "default", name: "vs"))
    }

    @Test func wrongShapeNamesTheField() throws {
        let result = decode(
            virtualService(
                http: """
                      - route:
                        - destination: {host: reviews}
                          weight: heavy
                    """))
        let error = try #require(onlyError(result))
        #expect(error.fieldPath == "spec.http[0].route[0].weight")
        #expect(error.line == 12)
    }

    @Test func duplicateKeyInOneFileRefusesTheSecond() throws {
        let document = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n"
        let result = decode(document + "---\n" + document)
        #expect(result.objects.count == 1)
        let error = try #require(onlyError(result))
        #expect(error.document == 2)
        #expect(error.line == 6)
        #expect(error.object == ResourceKey(kind: .service, namespace: "default", name: "web"))
        #expect(error.reason.contains("duplicate"))
    }

    @Test func oneBadDocumentDoesNotRefuseTheOthers() {
        let good = "apiVersion: v1\nkind: Service\nmetadata: {name: good}\nspec: {ports: [{port: 80}]}\n"
        let bad = "apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec: {ports: [{port: 99999}]}\n"
        let result = decode(good + "---\n" + bad)
        #expect(result.objects.map(\.key.name) == ["good"])
        #expect(result.errors.map(\.object?.name) == ["bad"])
        #expect(result.errors.first?.document == 2)
    }
}

/// RE2 rejects ICU's possessive quantifiers and atomic groups; meshd refuses them before Envoy would.
@Suite struct RegexParityTests {
    func regexRoute(_ pattern: String) -> DecodeResult {
        decode(
            virtualService(
                http: """
                      - match:
                        - uri:
                            regex: '\(pattern)'
                        route:
                        - destination: {host: reviews}
                    """))
    }

    @Test(arguments: ["/v2/a++", "/x*+", "/y?+", "/z{2}+", "(?>abc)"])
    func possessiveAndAtomicAreRefused(_ pattern: String) throws {
        let error = try #require(onlyError(regexRoute(pattern)))
        #expect(error.fieldPath == "spec.http[0].match[0].uri.regex")
        #expect(error.reason.contains("not supported by RE2"), "\(error.reason)")
    }

    @Test(arguments: ["/v2/a+", "a\\++", "[+]+", "a*?", "/z{2,3}", "^/v2/[a-z]+$"])
    func ordinaryPatternsPass(_ pattern: String) {
        let result = regexRoute(pattern)
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
    }
}
