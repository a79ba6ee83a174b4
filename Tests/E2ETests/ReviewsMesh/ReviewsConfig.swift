import MeshTestSupport

/// The Istio configuration of the reviews mesh, as a user would keep it in files: the `reviews` Service, its
/// subsets, a WorkloadEntry per pod, and the VirtualService variants the tests switch between.
enum ReviewsConfig {
    static let clusterIP = "10.96.0.20"
    static let port = 9080
    static let serviceAccount = "bookinfo-reviews"
    static let virtualServiceFile = "reviews-virtualservice.yaml"

    /// The Service and the DestinationRule that names its subsets by the `version` label.
    static let serviceAndSubsets = """
        apiVersion: v1
        kind: Service
        metadata:
          name: reviews
          namespace: default
          labels:
            app: reviews
        spec:
          clusterIP: \(clusterIP)
          selector:
            app: reviews
          ports:
          - name: http
            port: \(port)
            targetPort: \(port)
            protocol: TCP
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews
          namespace: default
        spec:
          host: reviews
          subsets:
          - name: v1
            labels:
              version: v1
          - name: v2
            labels:
              version: v2
          - name: v3
            labels:
              version: v3
        """

    /// Users called jason see v3, paths under /v2/ go to v2, everyone else is split 80/20 between v1 and v2.
    static let baseVirtualService = virtualService(
        """
          - name: jason
            match:
            - headers:
                end-user:
                  exact: jason
            route:
            - destination:
                host: reviews
                subset: v3
          - name: v2-preview
            match:
            - uri:
                prefix: /v2/
            route:
            - destination:
                host: reviews
                subset: v2
          - name: split
            route:
            - destination:
                host: reviews
                subset: v1
              weight: 80
            - destination:
                host: reviews
                subset: v2
              weight: 20
        """)

    /// Everything to one subset.
    static func allTo(_ subset: String) -> String {
        virtualService(
            """
              - name: all-\(subset)
                route:
                - destination:
                    host: reviews
                    subset: \(subset)
            """)
    }

    /// Invalid: a split where no destination gets any traffic (total weight 0), which istiod refuses.
    static let zeroWeightSplit = virtualService(
        """
          - name: bad-split
            route:
            - destination:
                host: reviews
                subset: v1
              weight: 0
            - destination:
                host: reviews
                subset: v3
              weight: 0
        """)

    /// Invalid: not YAML at all (a flow mapping that is never closed).
    static let malformedYAML = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
          namespace: default
        spec:
          hosts: [reviews
          http:
          - route: {destination: {host: reviews, subset: v1
        """

    private static func virtualService(_ httpRoutes: String) -> String {
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
        \(httpRoutes)
        """
    }
}
