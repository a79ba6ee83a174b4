/// Seed objects in the JSON a real API server returns for them (written from the public API reference), minus
/// the fields the server fills in itself (`uid`, `resourceVersion`, `creationTimestamp`), which `FakeKubernetes`
/// adds when the object is applied.
public enum FakeObjects {
    /// A `v1` Namespace, as the server defaults it (the `kubernetes.io/metadata.name` label, finalizers, phase);
    /// `terminating`: as it is while being deleted (`deletionTimestamp`, phase `Terminating`).
    public static func namespace(_ name: String, terminating: Bool = false) -> String {
        let deletion = terminating ? ",\"deletionTimestamp\":\"2026-11-21T10:00:00Z\"" : ""
        return """
            {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"\(name)",\
            "labels":{"kubernetes.io/metadata.name":"\(name)"}\(deletion)},\
            "spec":{"finalizers":["kubernetes"]},"status":{"phase":"\(terminating ? "Terminating" : "Active")"}}
            """
    }

    /// A `v1` Node with `labels` (such as the topology ones) and the status a kubelet reports, trimmed.
    public static func node(_ name: String, labels: [String: String]) -> String {
        let all = labels.merging(["kubernetes.io/hostname": name, "kubernetes.io/os": "linux"]) { own, _ in own }
        return """
            {"apiVersion":"v1","kind":"Node","metadata":{"name":"\(name)","labels":\(json(all))},\
            "spec":{"podCIDR":"10.244.0.0/24","providerID":"kind://docker/kind/\(name)"},\
            "status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady"}],\
            "nodeInfo":{"kubeletVersion":"v1.31.0","osImage":"Debian GNU/Linux 12 (bookworm)"}}}
            """
    }

    /// A ClusterIP `v1` Service with one named TCP port, with the fields the server defaults.
    public static func service(
        _ name: String, namespace: String = "default", port: Int = 9080, portName: String = "http",
        targetPort: Int? = nil, selector: [String: String]? = nil, clusterIP: String = "10.96.0.10"
    ) -> String {
        let selector = selector ?? ["app": name]
        return """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"\(name)","namespace":"\(namespace)",\
            "labels":{"app":"\(name)"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},\
            "spec":{"clusterIP":"\(clusterIP)","clusterIPs":["\(clusterIP)"],"internalTrafficPolicy":"Cluster",\
            "ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","ports":[{"name":"\(portName)","port":\(port),\
            "protocol":"TCP","targetPort":\(targetPort ?? port)}],"selector":\(json(selector)),\
            "sessionAffinity":"None","type":"ClusterIP"},"status":{"loadBalancer":{}}}
            """
    }

    /// A running `v1` Pod with one container port, as a Deployment's ReplicaSet would create it.
    public static func pod(
        _ name: String, namespace: String = "default", labels: [String: String], ip: String, port: Int = 9080,
        serviceAccount: String = "default", node: String = "node-1"
    ) -> String {
        """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"\(name)","generateName":"\(name.split(separator: "-").first ?? "")-",\
        "namespace":"\(namespace)","labels":\(json(labels)),\
        "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"6f1f8a8e-0000-4000-8000-000000000001",\
        "controller":true,"blockOwnerDeletion":true}]},\
        "spec":{"containers":[{"name":"app","image":"registry.example/app:1.0","imagePullPolicy":"IfNotPresent",\
        "ports":[{"name":"http","containerPort":\(port),"protocol":"TCP"}],"resources":{},\
        "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],\
        "dnsPolicy":"ClusterFirst","enableServiceLinks":true,"nodeName":"\(node)","preemptionPolicy":"PreemptLowerPriority",\
        "priority":0,"restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},\
        "serviceAccount":"\(serviceAccount)","serviceAccountName":"\(serviceAccount)","terminationGracePeriodSeconds":30},\
        "status":{"phase":"Running","hostIP":"192.168.49.2","podIP":"\(ip)","podIPs":[{"ip":"\(ip)"}],\
        "qosClass":"BestEffort","startTime":"2026-11-21T10:00:00Z",\
        "conditions":[{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-21T10:00:05Z"}]}}
        """
    }

    /// A `kubernetes.io/tls` Secret (data is base64, as the API returns it).
    public static func tlsSecret(_ name: String, namespace: String = "istio-system") -> String {
        """
        {"apiVersion":"v1","kind":"Secret","metadata":{"name":"\(name)","namespace":"\(namespace)"},\
        "type":"kubernetes.io/tls","data":{"tls.crt":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",\
        "tls.key":"LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCg=="}}
        """
    }

    /// A `networking.istio.io/v1` VirtualService routing every request for `host` to `destination` (with an
    /// optional subset).
    public static func virtualService(
        _ name: String, namespace: String = "default", host: String, destination: String, subset: String? = nil,
        prefix: String = "/"
    ) -> String {
        let subsetField = subset.map { ",\"subset\":\"\($0)\"" } ?? ""
        return """
            {"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"\(name)",\
            "namespace":"\(namespace)","generation":1},"spec":{"hosts":["\(host)"],\
            "http":[{"match":[{"uri":{"prefix":"\(prefix)"}}],"route":[{"destination":{"host":"\(destination)"\(subsetField)}}]}]}}
            """
    }

    /// A `networking.istio.io/v1` DestinationRule with one subset per label value of `version`.
    public static func destinationRule(
        _ name: String, namespace: String = "default", host: String, subsets: [String]
    ) -> String {
        let items = subsets.map { "{\"name\":\"\($0)\",\"labels\":{\"version\":\"\($0)\"}}" }.joined(separator: ",")
        return """
            {"apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":{"name":"\(name)",\
            "namespace":"\(namespace)"},"spec":{"host":"\(host)","subsets":[\(items)]}}
            """
    }

    /// A `networking.istio.io/v1` ServiceEntry with static endpoints.
    public static func serviceEntry(
        _ name: String, namespace: String = "default", host: String, address: String
    ) -> String {
        """
        {"apiVersion":"networking.istio.io/v1","kind":"ServiceEntry","metadata":{"name":"\(name)","namespace":"\(namespace)"},\
        "spec":{"hosts":["\(host)"],"location":"MESH_EXTERNAL","resolution":"STATIC",\
        "ports":[{"number":80,"name":"http","protocol":"HTTP"}],"endpoints":[{"address":"\(address)"}]}}
        """
    }

    /// A `networking.istio.io/v1` WorkloadEntry.
    public static func workloadEntry(
        _ name: String, namespace: String = "default", address: String, labels: [String: String]
    ) -> String {
        """
        {"apiVersion":"networking.istio.io/v1","kind":"WorkloadEntry","metadata":{"name":"\(name)","namespace":"\(namespace)"},\
        "spec":{"address":"\(address)","labels":\(json(labels)),"serviceAccount":"default"}}
        """
    }

    /// A `security.istio.io/v1` PeerAuthentication for a whole namespace.
    public static func peerAuthentication(_ name: String, namespace: String = "default", mode: String) -> String {
        """
        {"apiVersion":"security.istio.io/v1","kind":"PeerAuthentication","metadata":{"name":"\(name)",\
        "namespace":"\(namespace)"},"spec":{"mtls":{"mode":"\(mode)"}}}
        """
    }

    /// The `istio` ConfigMap of `istio-system` whose `mesh` key is `mesh` (Istio's mesh config YAML).
    public static func meshConfigMap(mesh: String) -> String {
        let escaped = mesh.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return """
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"istio","namespace":"istio-system"},\
            "data":{"mesh":"\(escaped)"}}
            """
    }

    /// A `security.istio.io/v1` AuthorizationPolicy allowing nothing (`action: ALLOW` without rules).
    public static func authorizationPolicy(_ name: String, namespace: String = "default") -> String {
        """
        {"apiVersion":"security.istio.io/v1","kind":"AuthorizationPolicy","metadata":{"name":"\(name)",\
        "namespace":"\(namespace)"},"spec":{"action":"ALLOW"}}
        """
    }

    /// A `networking.istio.io/v1` Sidecar importing only its own namespace.
    public static func sidecar(_ name: String, namespace: String = "default") -> String {
        """
        {"apiVersion":"networking.istio.io/v1","kind":"Sidecar","metadata":{"name":"\(name)","namespace":"\(namespace)"},\
        "spec":{"egress":[{"hosts":["./*"]}]}}
        """
    }

    static func json(_ map: [String: String]) -> String {
        "{" + map.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",") + "}"
    }
}
