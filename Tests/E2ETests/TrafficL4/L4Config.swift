import MeshTestSupport

/// The Istio configuration of the L4 mesh, as a user would keep it in files.
enum L4Config {
    /// `db` with two TCP ports on one VIP, and its subsets by `version`.
    static let dbServiceAndSubsets = """
        apiVersion: v1
        kind: Service
        metadata:
          name: db
          namespace: default
        spec:
          clusterIP: \(L4Mesh.dbVIP)
          selector:
            app: db
          ports:
          - name: tcp-a
            port: 7000
          - name: tcp-b
            port: 7001
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: db
          namespace: default
        spec:
          host: db
          subsets:
          - name: v1
            labels: {version: v1}
          - name: v2
            labels: {version: v2}
        """

    /// Port 7000 only to v1; port 7001 split 70/30 between v1 and v2.
    static let portRoutes = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: db
          namespace: default
        spec:
          hosts:
          - db
          tcp:
          - match:
            - port: 7000
            route:
            - destination: {host: db, subset: v1}
          - match:
            - port: 7001
            route:
            - destination: {host: db, subset: v1}
              weight: 70
            - destination: {host: db, subset: v2}
              weight: 30
        """

    /// A source-label match for another app first: the client is not it, so its connections take the next rule.
    static let sourceLabelRoutes = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: db
          namespace: default
        spec:
          hosts:
          - db
          tcp:
          - match:
            - sourceLabels: {app: reporting}
            route:
            - destination: {host: db, subset: v1}
          - match:
            - sourceLabels: {app: client}
              port: 7000
            route:
            - destination: {host: db, subset: v2}
          - route:
            - destination: {host: db, subset: v1}
        """

    /// The legacy pod, known only through ServiceEntries: HTTP with STATIC endpoints, and TCP with DNS resolution
    /// of an endpoint address (an IP literal here, so no resolver is needed).
    static func legacyServiceEntries(legacyIP: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: legacy-http
          namespace: default
        spec:
          hosts:
          - \(L4Mesh.legacyHTTPHost)
          addresses:
          - \(L4Mesh.legacyHTTPVIP)
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - number: 8080
            name: http
            protocol: HTTP
          endpoints:
          - address: \(legacyIP)
            labels: {app: legacy}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: legacy-tcp
          namespace: default
        spec:
          hosts:
          - \(L4Mesh.legacyTCPHost)
          addresses:
          - \(L4Mesh.legacyTCPVIP)
          location: MESH_EXTERNAL
          resolution: DNS
          ports:
          - number: 7100
            name: tcp-legacy
            protocol: TCP
          endpoints:
          - address: \(legacyIP)
        """
    }
}
