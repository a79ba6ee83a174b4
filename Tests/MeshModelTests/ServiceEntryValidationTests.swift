import MeshModel
import Testing

/// A ServiceEntry `api` in namespace `ext` whose spec is `spec` (indented for `spec:`).
private func serviceEntry(_ spec: String) -> String {
    """
    apiVersion: networking.istio.io/v1
    kind: ServiceEntry
    metadata:
      name: api
      namespace: ext
    spec:
    \(spec)
    """
}

/// Every error as `path: reason`, sorted (diagnostics come in file-line order, not rule order).
private func errors(_ yaml: String) -> [String] {
    decode(yaml).errors.map { "\($0.fieldPath): \($0.reason)" }.sorted()
}

@Suite("ServiceEntry and WorkloadEntry: decoding and istiod's webhook rules")
struct ServiceEntryValidationTests {
    @Test func decodesEveryField() throws {
        let resource = onlyResource(
            decode(
                serviceEntry(
                    """
                      hosts: [db.internal.example]
                      addresses: [240.0.0.5, 10.20.0.0/16]
                      location: MESH_INTERNAL
                      resolution: STATIC
                      exportTo: [".", default]
                      subjectAltNames: ["spiffe://cluster.local/ns/data/sa/db"]
                      ports:
                      - {number: 5432, name: tcp-postgres, protocol: TCP, targetPort: 15432}
                      endpoints:
                      - address: 10.1.0.1
                        ports: {tcp-postgres: 6432}
                        labels: {version: v1}
                        network: net-a
                        locality: us-east1/us-east1-a/rack1
                        weight: 3
                        serviceAccount: db
                    """)))
        guard case .serviceEntry(let entry) = try #require(resource) else {
            Issue.record("not a ServiceEntry")
            return
        }
        #expect(entry.addresses == ["240.0.0.5", "10.20.0.0/16"])
        #expect(entry.location == .meshInternal)
        #expect(entry.resolution == .staticAddresses)
        #expect(entry.exportTo == [".", "default"])
        #expect(entry.subjectAltNames == ["spiffe://cluster.local/ns/data/sa/db"])
        #expect(
            entry.ports == [ServiceEntryPort(number: 5432, protocol: "TCP", name: "tcp-postgres", targetPort: 15432)])
        #expect(
            entry.endpoints == [
                WorkloadEntrySpec(
                    address: "10.1.0.1", ports: ["tcp-postgres": 6432], labels: ["version": "v1"], serviceAccount: "db",
                    network: "net-a", locality: "us-east1/us-east1-a/rack1", weight: 3)
            ])
    }

    @Test func workloadSelectorWithoutLabelsIsWarned() {
        let result = decode(
            serviceEntry(
                """
                  hosts: [vm.example]
                  resolution: STATIC
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  workloadSelector: {}
                """))
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.warnings.map(\.fieldPath) == ["spec.workloadSelector"])
    }

    @Test func hostsAndAddresses() {
        #expect(
            errors(
                serviceEntry(
                    """
                      hosts: ["*", bad_host.example]
                      addresses: [10.0.0.0/8, 300.1.1.1]
                      resolution: DNS
                      ports: [{number: 80, name: http, protocol: HTTP}]
                    """))
                == [
                    "spec.hosts[0]: invalid host *",
                    "spec.hosts[1]: domain name \"bad_host.example\" is invalid (label \"bad_host\" is not a DNS-1123 label)",
                    "spec.addresses[1]: \"300.1.1.1\" is not a valid IP address or CIDR",
                    "spec.addresses: CIDR addresses are allowed only for NONE/STATIC resolution types",
                    "spec.hosts[0]: hosts must be FQDN if no endpoints are provided for resolution mode DNS",
                    "spec.hosts[1]: hosts must be FQDN if no endpoints are provided for resolution mode DNS",
                ].sorted())
    }

    @Test func ports() {
        #expect(
            errors(
                serviceEntry(
                    """
                      hosts: [api.example.com]
                      ports:
                      - {number: 80, name: http, protocol: HTTP}
                      - {number: 80, name: http, protocol: HTTP}
                      - {number: 0, name: Bad_Name, protocol: SMTP, targetPort: 70000}
                    """))
                == [
                    "spec.ports[1].name: service entry port name \"http\" already defined",
                    "spec.ports[1].number: service entry port 80 already defined",
                    "spec.ports[2].number: port 0 is out of range 1-65535",
                    "spec.ports[2].targetPort: port 70000 is out of range 1-65535",
                    "spec.ports[2].name: invalid port name: \"Bad_Name\"",
                    "spec.ports[2].protocol: unsupported protocol: SMTP",
                ].sorted())
    }

    @Test func resolutionAndEndpointsMustAgree() {
        // NONE takes no endpoints.
        #expect(
            errors(
                serviceEntry(
                    """
                      hosts: [api.example.com]
                      resolution: NONE
                      ports: [{number: 80, name: http, protocol: HTTP}]
                      endpoints: [{address: 10.0.0.1}]
                    """)) == ["spec.endpoints: no endpoints should be provided for resolution type none"])
        // STATIC endpoints are IPs (or unix sockets), with ports the entry defines.
        #expect(
            errors(
                serviceEntry(
                    """
                      hosts: [api.example.com]
                      resolution: STATIC
                      ports: [{number: 80, name: http, protocol: HTTP}]
                      endpoints:
                      - address: backend.example.com
                      - address: 10.0.0.2
                        ports: {grpc: 9000}
                    """))
                == [
                    "spec.endpoints[0].address: endpoint address \"backend.example.com\" is not a valid IP address",
                    "spec.endpoints[1].ports.grpc: endpoint port 9000 is not defined by the service entry",
                ].sorted())
        // DNS_ROUND_ROBIN takes at most one endpoint; DNS endpoints may be hostnames but not wildcards.
        #expect(
            errors(
                serviceEntry(
                    """
                      hosts: [api.example.com]
                      resolution: DNS_ROUND_ROBIN
                      ports: [{number: 443, name: tls, protocol: TLS}]
                      endpoints:
                      - address: a.example.com
                      - address: "*.example.com"
                    """))
                == [
                    "spec.endpoints: there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN",
                    "spec.endpoints[1].address: endpoint address \"*.example.com\" is not a valid FQDN or an IP address",
                ].sorted())
    }

    @Test func selectorAndEndpointsConflict() {
        #expect(
            errors(
                serviceEntry(
                    """
                      hosts: [vm.example]
                      resolution: STATIC
                      ports: [{number: 80, name: http, protocol: HTTP}]
                      workloadSelector: {labels: {app: vm}}
                      endpoints: [{address: 10.0.0.1}]
                    """))
                == ["spec.workloadSelector: only one of WorkloadSelector or Endpoints is allowed in Service Entry"])
    }

    @Test func severalHostsNeedHTTPOrTLSPortsUnlessResolutionIsNone() {
        let tcp = """
              hosts: [a.example.com, b.example.com]
              resolution: DNS
              ports: [{number: 5432, name: tcp, protocol: TCP}]
            """
        #expect(errors(serviceEntry(tcp)) == ["spec.ports: multiple hosts provided with non-HTTP, non-TLS ports"])
        #expect(errors(serviceEntry(tcp.replacingOccurrences(of: "DNS", with: "NONE"))).isEmpty)
        #expect(errors(serviceEntry(tcp.replacingOccurrences(of: "protocol: TCP", with: "protocol: TLS"))).isEmpty)
    }

    @Test func workloadEntryRules() {
        let yaml = """
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata:
              name: vm
              namespace: ext
            spec:
              address: "not an address"
              ports: {Bad_Port: 80, http: 0}
              labels: {"bad key!": x}
              locality: a/b/c/d
              weight: -1

            """
        #expect(
            errors(yaml)
                == [
                    "spec.address: endpoint address \"not an address\" is not a valid FQDN or an IP address",
                    "spec.ports.Bad_Port: invalid port name: Bad_Port",
                    "spec.ports.http: port 0 is out of range 1-65535",
                    "spec.labels: invalid label key \"bad key!\"",
                    "spec.weight: must not be negative, found -1",
                    "spec.locality: \"a/b/c/d\" is not region/zone/subzone",
                ].sorted())
        // Without an address only a network (reached through its gateway) will do.
        let networkOnly = yaml.replacingOccurrences(of: "  address: \"not an address\"\n", with: "  network: net-b\n")
            .replacingOccurrences(of: "  ports: {Bad_Port: 80, http: 0}\n", with: "")
            .replacingOccurrences(of: "  labels: {\"bad key!\": x}\n", with: "")
            .replacingOccurrences(of: "  locality: a/b/c/d\n", with: "")
            .replacingOccurrences(of: "  weight: -1\n", with: "")
        #expect(errors(networkOnly).isEmpty)
    }
}
