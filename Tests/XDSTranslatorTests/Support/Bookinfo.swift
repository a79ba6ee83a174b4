/// A small bookinfo mesh for the focused tests: reviews v1/v2/v3 behind one Service, a DestinationRule with
/// subsets, and a VirtualService with header, prefix and 80/20 weighted routes plus a route to a subset that
/// does not exist. The client proxy is productpage in `default`.
enum Bookinfo {
    static let productpageID = sidecarID(ip: "10.1.0.10", pod: "productpage-v1")
    static let reviewsV2ID = sidecarID(ip: "10.1.0.22", pod: "reviews-v2")

    static let yaml = MeshYAML.join(
        MeshYAML.service("productpage", clusterIP: "10.96.0.10", ports: [("http", 9080, nil)]),
        MeshYAML.service("reviews", clusterIP: "10.96.0.11", ports: [("http", 9080, nil)]),
        MeshYAML.service("details", namespace: "other", clusterIP: "10.96.0.13", ports: [("http", 9080, nil)]),
        MeshYAML.pod("productpage-v1", ip: "10.1.0.10", labels: ["app": "productpage"]),
        MeshYAML.pod("reviews-v1", ip: "10.1.0.21", labels: ["app": "reviews", "version": "v1"]),
        MeshYAML.pod("reviews-v2", ip: "10.1.0.22", labels: ["app": "reviews", "version": "v2"]),
        MeshYAML.pod("reviews-v3", ip: "10.1.0.23", labels: ["app": "reviews", "version": "v3"]),
        MeshYAML.pod("details-v1", namespace: "other", ip: "10.1.0.40", labels: ["app": "details"]),
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews
          namespace: default
        spec:
          host: reviews
          trafficPolicy:
            loadBalancer:
              simple: LEAST_REQUEST
          subsets:
          - name: v1
            labels:
              version: v1
          - name: v2
            labels:
              version: v2
            trafficPolicy:
              loadBalancer:
                simple: RANDOM
          - name: v3
            labels:
              version: v3
          - name: v4
            labels:
              version: v4
        """,
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
          namespace: default
        spec:
          hosts:
          - reviews
          http:
          - name: jason
            match:
            - headers:
                end-user:
                  exact: jason
            route:
            - destination:
                host: reviews
                subset: v2
          - name: api
            match:
            - uri:
                prefix: /api/
            route:
            - destination:
                host: reviews
                subset: v9
          - name: split
            route:
            - destination:
                host: reviews
                subset: v1
              weight: 80
            - destination:
                host: reviews
                subset: v3
              weight: 20
        """)

    static func fixture(nodeID: String = productpageID) throws -> MeshFixture {
        try MeshFixture(yaml: yaml, nodeID: nodeID)
    }

    static let reviews = "reviews.default.svc.cluster.local"
}
