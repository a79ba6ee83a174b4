import MeshModel
import Testing

/// WorkloadGroup (networking.istio.io v1, v1beta1, v1alpha3): decoding, istiod's refusals with their field paths, and
/// the WorkloadEntry a connecting proxy registers from it.
@Suite("WorkloadGroup")
struct WorkloadGroupTests {
    static func group(_ spec: String, apiVersion: String = "v1", name: String = "vms") -> String {
        """
        apiVersion: networking.istio.io/\(apiVersion)
        kind: WorkloadGroup
        metadata:
          name: \(name)
          namespace: shop
        spec:
        \(spec)
        """
    }

    static let full = """
          metadata:
            labels: {app: cart, tier: vm}
            annotations: {team: payments}
          template:
            serviceAccount: cart
            network: dc1
            labels: {app: template, version: v1}
            ports: {http: 8080}
            weight: 3
          probe:
            periodSeconds: 5
            httpGet: {port: 8080, path: /ready, scheme: HTTPS, httpHeaders: [{name: x-probe, value: "1"}]}
        """

    @Test(arguments: ["v1", "v1beta1", "v1alpha3"])
    func decodesEveryField(apiVersion: String) throws {
        let result = decode(Self.group(Self.full, apiVersion: apiVersion))
        guard case .workloadGroup(let group) = onlyResource(result) else {
            Issue.record("not a WorkloadGroup")
            return
        }
        #expect(group.labels == ["app": "cart", "tier": "vm"])
        #expect(group.annotations == ["team": "payments"])
        #expect(group.template.serviceAccount == "cart" && group.template.ports == ["http": 8080])
        #expect(group.template.weight == 3 && group.template.network == "dc1")
        #expect(group.probe?.periodSeconds == 5)
        #expect(
            group.probe?.method
                == .httpGet(port: 8080, path: "/ready", host: nil, scheme: "HTTPS", headerNames: ["x-probe"]))
        // The probe is istio-agent's: said, not silently dropped.
        #expect(result.warnings.map(\.fieldPath) == ["spec.probe"])
    }

    @Test(arguments: [
        ("  template: {}\n  probe: {tcpSocket: {port: 0}}", "spec.probe.tcpSocket.port", "between 1-65535"),
        ("  template: {}\n  probe: {httpGet: {port: 70000}}", "spec.probe.httpGet.port", "between 1-65535"),
        (
            "  template: {}\n  probe: {httpGet: {port: 80, httpHeaders: [{name: \"a b\"}]}}",
            "spec.probe.httpGet.httpHeaders[0].name", "not a header name"
        ),
        ("  template: {}\n  probe: {httpGet: {port: 80, scheme: FTP}}", "spec.probe.httpGet.scheme", "HTTP or HTTPS"),
        ("  template: {}\n  probe: {exec: {command: []}}", "spec.probe.exec.command", "required"),
        (
            "  template: {}\n  probe: {periodSeconds: -1, tcpSocket: {port: 1}}", "spec.probe.periodSeconds",
            "non-negative"
        ),
        ("  template: {}\n  probe: {periodSeconds: 3}", "spec.probe", "needs one of"),
        (
            "  template: {}\n  probe: {tcpSocket: {port: 1}, exec: {command: [true]}}", "spec.probe",
            "only one of"
        ),
        ("  metadata: {labels: {\"bad key!\": x}}\n  template: {}", "spec.metadata.labels", "invalid label key"),
        ("  template: {ports: {http: 0}}", "spec.template.ports.http", "out of range"),
        ("  metadata: {labels: {app: x}}", "spec.template", "template is required"),
    ])
    func refusals(spec: String, path: String, reason: String) throws {
        let error = try #require(onlyError(decode(Self.group(spec))))
        #expect(error.fieldPath == path)
        #expect(error.reason.contains(reason), "\(error)")
    }

    @Test func aGroupWithoutSpecIsRefused() throws {
        let yaml = "apiVersion: networking.istio.io/v1\nkind: WorkloadGroup\nmetadata: {name: g, namespace: shop}\n"
        let error = try #require(onlyError(decode(yaml)))
        #expect(error.fieldPath == "spec")
    }

    /// istiod's `workloadEntryFromGroup`: the template with the proxy's first IP; labels template < group metadata <
    /// proxy; the group annotation; the name `<group>-<ip>[-<network>]`.
    @Test func theRegisteredEntryIsBuiltAsIstiodBuildsIt() throws {
        guard case .workloadGroup(let group) = onlyResource(decode(Self.group(Self.full))) else {
            Issue.record("not a WorkloadGroup")
            return
        }
        var proxy = try Proxy(
            nodeID: "sidecar~10.0.0.7~vm-1.shop~shop.svc.cluster.local",
            metadata: ["INSTANCE_IPS": "10.0.0.7,fd00::7", "AUTO_REGISTER_GROUP": "vms", "NETWORK": "dc2"],
            labels: ["version": "v2"])
        #expect(proxy.autoRegisterGroup == "vms" && proxy.network == "dc2")
        let entry = try #require(group.registeredEntry(for: proxy))
        #expect(entry.meta.name == "vms-10.0.0.7-dc2" && entry.meta.namespace == "shop")
        #expect(entry.spec.address == "10.0.0.7")
        #expect(entry.spec.labels == ["app": "cart", "tier": "vm", "version": "v2"])
        #expect(entry.meta.annotations == ["istio.io/autoRegistrationGroup": "vms", "team": "payments"])
        #expect(entry.spec.network == "dc2" && entry.spec.serviceAccount == "cart" && entry.spec.weight == 3)
        #expect(ResourceValidator.validate(.workloadEntry(entry)).isEmpty)

        proxy.ipAddresses = ["fd00::7"]
        proxy.network = nil
        #expect(group.registeredEntry(for: proxy)?.meta.name == "vms-fd00--7")
        let long = String(repeating: "g", count: 260)
        #expect(WorkloadGroup.entryName(group: long, address: "10.0.0.1", network: nil).count == 253)
        #expect(WorkloadGroup.entryName(group: long, address: "10.0.0.1", network: nil).hasSuffix("-10.0.0.1"))
    }

    @Test func theSnapshotFindsAGroupByNamespaceAndName() {
        let snapshot = MeshSnapshot.build(from: decode(Self.group(Self.full)).objects)
        #expect(snapshot.workloadGroup(namespace: "shop", name: "vms") != nil)
        #expect(snapshot.workloadGroup(namespace: "other", name: "vms") == nil)
    }
}
