import MeshModel
import Testing

/// A VirtualService with `tcp` and `tls` sections for host `db` in namespace `data`.
private func l4VirtualService(_ body: String, hosts: String = "- db\n  - \"*.example.com\"") -> String {
    """
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata:
      name: db
      namespace: data
    spec:
      hosts:
      \(hosts)
    \(body)
    """
}

/// The field paths and reasons of every error in `yaml`.
private func errors(_ yaml: String) -> [String] {
    decode(yaml).errors.map { "\($0.fieldPath): \($0.reason)" }
}

@Suite("VirtualService tcp and tls routes")
struct VirtualServiceL4Tests {
    @Test func decodesTCPAndTLSRoutes() throws {
        let resource = onlyResource(
            decode(
                l4VirtualService(
                    """
                      tcp:
                      - match:
                        - port: 7000
                          sourceLabels: {app: client}
                          sourceNamespace: default
                          destinationSubnets: [10.96.0.0/16]
                          gateways: [mesh]
                        route:
                        - destination: {host: db, subset: v1, port: {number: 7000}}
                          weight: 70
                        - destination: {host: db, subset: v2}
                          weight: 30
                      tls:
                      - match:
                        - sniHosts: [api.example.com]
                          port: 443
                        route:
                        - destination: {host: api.example.com}
                    """)))
        guard case .virtualService(let service) = try #require(resource) else {
            Issue.record("not a VirtualService")
            return
        }
        #expect(service.http.isEmpty)
        let tcp = try #require(service.tcp.first)
        #expect(
            tcp.match == [
                L4MatchAttributes(
                    destinationSubnets: ["10.96.0.0/16"], port: 7000, sourceLabels: ["app": "client"],
                    sourceNamespace: "default", gateways: ["mesh"])
            ])
        #expect(tcp.route.map(\.weight) == [70, 30])
        #expect(tcp.route.first?.destination == Destination(host: "db", subset: "v1", port: 7000))
        let tls = try #require(service.tls.first)
        #expect(tls.match.first?.sniHosts == ["api.example.com"])
        #expect(tls.match.first?.port == 443)
        #expect(tls.route == [RouteDestination(destination: Destination(host: "api.example.com"), weight: 100)])
    }

    @Test func unknownMatchFieldIsWarnedNotDropped() {
        let result = decode(
            l4VirtualService(
                """
                  tcp:
                  - match:
                    - port: 7000
                      sourceSubnet: 10.0.0.0/8
                    route:
                    - destination: {host: db}
                """))
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.warnings.map(\.fieldPath) == ["spec.tcp[0].match[0].sourceSubnet"])
    }

    @Test func tlsRouteRequiresMatchAndSNIHosts() {
        #expect(
            errors(
                l4VirtualService(
                    """
                      tls:
                      - route:
                        - destination: {host: db}
                      - match:
                        - port: 443
                        route:
                        - destination: {host: db}
                    """))
                == [
                    "spec.tls[0].match: TLS route must have at least one match condition",
                    "spec.tls[1].match[0].sniHosts: TLS match must have at least one SNI host",
                ])
    }

    @Test func sniHostMustBeWithinTheVirtualServiceHosts() {
        let found = errors(
            l4VirtualService(
                """
                  tls:
                  - match:
                    - sniHosts: [api.example.com, other.example.org, "*.example.com", 10.0.0.1, bad_name.example.com]
                    route:
                    - destination: {host: db}
                """))
        #expect(
            found == [
                "spec.tls[0].match[0].sniHosts[1]: SNI host \"other.example.org\" is not a compatible subset of any of the virtual service hosts: [db, *.example.com]",
                // An IP is a valid domain name to istiod's check, and then no subset of the hosts either.
                "spec.tls[0].match[0].sniHosts[3]: SNI host \"10.0.0.1\" is not a compatible subset of any of the virtual service hosts: [db, *.example.com]",
                "spec.tls[0].match[0].sniHosts[4]: domain name \"bad_name.example.com\" is invalid (label \"bad_name\" is not a DNS-1123 label)",
            ])
    }

    @Test func routesRequireDestinations() {
        #expect(
            errors(
                l4VirtualService(
                    """
                      tcp:
                      - match:
                        - port: 7000
                      tls:
                      - match:
                        - sniHosts: [api.example.com]
                    """))
                == ["spec.tcp[0].route: TCP route is required", "spec.tls[0].route: TLS route is required"])
    }

    @Test func weightsPortsSubnetsLabelsAndNamespaces() {
        let found = errors(
            l4VirtualService(
                """
                  tcp:
                  - match:
                    - port: 70000
                      destinationSubnets: [10.0.0.0/33, not-an-ip, "fe80::/64"]
                      sourceLabels: {"bad key!": x}
                      sourceNamespace: Not_A_Namespace
                      gateways: [a/b/c]
                    route:
                    - destination: {host: db, subset: v1}
                      weight: -1
                    - destination: {host: "*"}
                      weight: 1
                  - route:
                    - destination: {host: db, subset: v1}
                      weight: 0
                    - destination: {host: db, subset: v2}
                      weight: 0
                """))
        #expect(
            found == [
                "spec.tcp[0].match[0].port: port 70000 is out of range 1-65535",
                "spec.tcp[0].match[0].destinationSubnets[0]: \"10.0.0.0/33\" is not a valid IP address or CIDR",
                "spec.tcp[0].match[0].destinationSubnets[1]: \"not-an-ip\" is not a valid IP address or CIDR",
                "spec.tcp[0].match[0].sourceLabels: invalid label key \"bad key!\"",
                "spec.tcp[0].match[0].sourceNamespace: sourceNamespace match Not_A_Namespace is invalid",
                "spec.tcp[0].match[0].gateways[0]: invalid value for gateway name: \"b/c\"",
                // -1 + 1: istiod sums the weights as written.
                "spec.tcp[0].route: total destination weight = 0",
                "spec.tcp[0].route[0].weight: weight -1 < 0",
                "spec.tcp[0].route[1].destination.host: invalid destination host *",
                "spec.tcp[1].route: total destination weight = 0",
            ])
    }

    @Test func tcpOnlyVirtualServiceIsValid() {
        let result = decode(
            l4VirtualService(
                """
                  tcp:
                  - route:
                    - destination: {host: db}
                """))
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.objects.count == 1)
    }
}
