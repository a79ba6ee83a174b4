/// Small builders for the Kubernetes and Istio YAML documents the focused tests need, so each test shows only
/// what it is about.
enum MeshYAML {
    /// A Service selecting `app: <name>`. Ports are `(name, port, targetPort)`; the name carries the protocol.
    static func service(
        _ name: String, namespace: String = "default", clusterIP: String? = nil,
        ports: [(name: String, port: Int, target: Int?)]
    ) -> String {
        var text = """
            apiVersion: v1
            kind: Service
            metadata:
              name: \(name)
              namespace: \(namespace)
            spec:
              selector:
                app: \(name)
              ports:

            """
        for port in ports {
            text += "  - name: \(port.name)\n    port: \(port.port)\n"
            if let target = port.target { text += "    targetPort: \(target)\n" }
        }
        if let clusterIP { text += "  clusterIP: \(clusterIP)\n" }
        return text
    }

    /// A running Pod with an IP and labels.
    static func pod(_ name: String, namespace: String = "default", ip: String, labels: [String: String]) -> String {
        var text = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: \(name)
              namespace: \(namespace)
              labels:

            """
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { text += "    \(key): \(value)\n" }
        text += "status:\n  podIP: \(ip)\n"
        return text
    }

    static func join(_ documents: String...) -> String {
        documents.joined(separator: "\n---\n")
    }
}
