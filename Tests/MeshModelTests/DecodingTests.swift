import MeshModel
import Testing

@Suite("Decoding each kind")
struct DecodingTests {
    @Test func kubernetesServiceWithNamedTargetPortAndAppProtocol() throws {
        let result = decode(
            """
            apiVersion: v1
            kind: Service
            metadata:
              name: reviews
              namespace: bookinfo
              labels: {app: reviews}
              uid: 1234
              resourceVersion: "99"
            spec:
              clusterIP: 10.96.0.12
              selector:
                app: reviews
              ports:
              - name: http
                port: 9080
                targetPort: http-alt
              - name: metrics
                port: 15020
                targetPort: 15020
                appProtocol: http
              - port: 7000
                protocol: UDP
                name: udp-x
            status:
              loadBalancer: {}
            """)
        guard case .service(let service) = onlyResource(result) else {
            Issue.record("not a service")
            return
        }
        #expect(result.warnings.isEmpty, "\(result.warnings.map(\.description))")
        #expect(service.meta == ObjectMeta(name: "reviews", namespace: "bookinfo", labels: ["app": "reviews"]))
        #expect(service.clusterIP == "10.96.0.12")
        #expect(service.selector == ["app": "reviews"])
        #expect(
            service.ports == [
                ServicePort(name: "http", port: 9080, targetPort: .name("http-alt")),
                ServicePort(name: "metrics", port: 15020, targetPort: .number(15020), appProtocol: "http"),
                ServicePort(name: "udp-x", port: 7000, transportProtocol: "UDP"),
            ])
        #expect(result.objects.first?.source == MeshModel.SourceLocation(file: "test.yaml", document: 1, line: 1))
    }

    @Test func podWithIPServiceAccountAndNamedPorts() {
        let result = decode(
            """
            apiVersion: v1
            kind: Pod
            metadata:
              name: reviews-v1-abc
              labels:
                app: reviews
                version: v1
            spec:
              serviceAccountName: bookinfo-reviews
              containers:
              - name: reviews
                image: istio/examples-bookinfo-reviews-v1
                ports:
                - name: http-alt
                  containerPort: 9080
                - containerPort: 9999
              - name: sidecar
                ports:
                - name: admin
                  containerPort: 15000
            status:
              podIP: 10.0.0.7
              phase: Running
            """)
        guard case .pod(let pod) = onlyResource(result) else {
            Issue.record("not a pod")
            return
        }
        #expect(pod.meta.namespace == "default")
        #expect(pod.podIP == "10.0.0.7")
        #expect(pod.serviceAccountName == "bookinfo-reviews")
        #expect(pod.namedPorts == ["http-alt": 9080, "admin": 15000])
        #expect(result.warnings.isEmpty)
    }

    @Test func podWithoutServiceAccountUsesDefault() {
        let result = decode("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n")
        guard case .pod(let pod) = onlyResource(result) else {
            Issue.record("not a pod")
            return
        }
        #expect(pod.serviceAccountName == "default")
        #expect(pod.podIP == nil)
    }

    @Test func virtualServiceWithMatchesAndWeightedRoutes() {
        let result = decode(
            virtualService(
                http: """
                      - name: jason
                        match:
                        - name: by-user
                          headers:
                            End-User:
                              exact: jason
                          uri:
                            prefix: /reviews
                        - uri:
                            regex: "^/api/v[0-9]+/.*"
                        route:
                        - destination:
                            host: reviews
                            subset: v2
                            port:
                              number: 9080
                          weight: 80
                        - destination:
                            host: reviews.other.svc.cluster.local
                          weight: 20
                      - route:
                        - destination:
                            host: reviews
                            subset: v1
                    """))
        guard case .virtualService(let vs) = onlyResource(result) else {
            Issue.record("not a VS")
            return
        }
        #expect(vs.hosts == ["reviews"])
        #expect(vs.meta.namespace == "bookinfo")
        #expect(vs.http.count == 2)
        let first = vs.http[0]
        #expect(first.name == "jason")
        #expect(
            first.match == [
                HTTPMatchRequest(name: "by-user", uri: .prefix("/reviews"), headers: ["end-user": .exact("jason")]),
                HTTPMatchRequest(uri: .regex("^/api/v[0-9]+/.*")),
            ])
        #expect(
            first.route == [
                HTTPRouteDestination(destination: Destination(host: "reviews", subset: "v2", port: 9080), weight: 80),
                HTTPRouteDestination(destination: Destination(host: "reviews.other.svc.cluster.local"), weight: 20),
            ])
        #expect(
            vs.http[1].route == [
                HTTPRouteDestination(destination: Destination(host: "reviews", subset: "v1"), weight: 100)
            ])
    }

    @Test func virtualServiceGatewaysAndExportTo() {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1beta1
            kind: VirtualService
            metadata: {name: bookinfo, namespace: web}
            spec:
              hosts: ["bookinfo.example.com"]
              gateways: [bookinfo-gateway, mesh]
              exportTo: ["."]
              http:
              - route:
                - destination: {host: productpage}
            """)
        guard case .virtualService(let vs) = onlyResource(result) else {
            Issue.record("not a VS")
            return
        }
        #expect(vs.gateways == ["bookinfo-gateway", "mesh"])
        #expect(vs.exportTo == ["."])
    }

    @Test func destinationRuleSubsetsAndLoadBalancers() {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1alpha3
            kind: DestinationRule
            metadata:
              name: reviews
              namespace: bookinfo
            spec:
              host: reviews
              exportTo: ["*"]
              trafficPolicy:
                loadBalancer:
                  simple: LEAST_CONN
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
            """)
        guard case .destinationRule(let rule) = onlyResource(result) else {
            Issue.record("not a DR")
            return
        }
        #expect(rule.host == "reviews")
        #expect(rule.exportTo == ["*"])
        #expect(rule.trafficPolicy == TrafficPolicy(loadBalancer: .leastRequest))
        #expect(
            rule.subsets == [
                Subset(name: "v1", labels: ["version": "v1"]),
                Subset(name: "v2", labels: ["version": "v2"], trafficPolicy: TrafficPolicy(loadBalancer: .random)),
            ])
    }

    @Test func serviceEntryWithInlineEndpoints() {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: external-db, namespace: data}
            spec:
              hosts: [db.example.com]
              addresses: [240.0.0.1]
              location: MESH_INTERNAL
              resolution: STATIC
              ports:
              - number: 5432
                name: tcp-postgres
                protocol: TCP
                targetPort: 15432
              endpoints:
              - address: 192.168.1.10
                ports: {tcp-postgres: 25432}
                labels: {zone: a}
                serviceAccount: db
                network: net1
                locality: us-east/a
                weight: 3
              exportTo: ["."]
            """)
        guard case .serviceEntry(let entry) = onlyResource(result) else {
            Issue.record("not an SE")
            return
        }
        #expect(entry.hosts == ["db.example.com"])
        #expect(entry.addresses == ["240.0.0.1"])
        #expect(entry.location == ServiceEntry.Location.meshInternal)
        #expect(entry.resolution == ServiceEntry.Resolution.staticAddresses)
        #expect(
            entry.ports == [ServiceEntryPort(number: 5432, protocol: "TCP", name: "tcp-postgres", targetPort: 15432)])
        #expect(
            entry.endpoints == [
                WorkloadEntrySpec(
                    address: "192.168.1.10", ports: ["tcp-postgres": 25432], labels: ["zone": "a"],
                    serviceAccount: "db",
                    network: "net1", locality: "us-east/a", weight: 3)
            ])
        #expect(entry.exportTo == ["."])
        #expect(entry.workloadSelector == nil)
    }

    @Test func serviceEntryDefaultsAndWorkloadSelector() {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1beta1
            kind: ServiceEntry
            metadata: {name: vms}
            spec:
              hosts: [vm.internal]
              ports: [{number: 80, name: http, protocol: HTTP}]
              workloadSelector:
                labels: {app: vm}
            """)
        guard case .serviceEntry(let entry) = onlyResource(result) else {
            Issue.record("not an SE")
            return
        }
        #expect(entry.location == ServiceEntry.Location.meshExternal)
        #expect(entry.resolution == ServiceEntry.Resolution.none)
        #expect(entry.workloadSelector == ["app": "vm"])
    }

    @Test func workloadEntry() {
        let result = decode(
            """
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata:
              name: vm-1
              namespace: vms
            spec:
              address: 10.1.0.5
              ports:
                http: 8080
              labels:
                app: ratings
              serviceAccount: ratings-vm
              locality: eu-west/b
              weight: 2
            """)
        guard case .workloadEntry(let entry) = onlyResource(result) else {
            Issue.record("not a WE")
            return
        }
        #expect(entry.meta == ObjectMeta(name: "vm-1", namespace: "vms"))
        #expect(
            entry.spec
                == WorkloadEntrySpec(
                    address: "10.1.0.5", ports: ["http": 8080], labels: ["app": "ratings"],
                    serviceAccount: "ratings-vm",
                    locality: "eu-west/b", weight: 2))
    }
}
