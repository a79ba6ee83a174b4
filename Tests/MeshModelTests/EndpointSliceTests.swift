import MeshModel
import Testing

/// EndpointSlice decoding, validation, and how slices give a Kubernetes Service its endpoints.
@Suite struct EndpointSliceTests {
    static func sliceYAML(addressType: String = "IPv4", port: String = "9080", name: String = "reviews-abc") -> String {
        """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: \(name)
          namespace: bookinfo
          labels:
            kubernetes.io/service-name: reviews
            endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io
        addressType: \(addressType)
        endpoints:
        - addresses: ["10.0.0.1"]
          conditions: {ready: true, serving: true, terminating: false}
          targetRef: {kind: Pod, namespace: bookinfo, name: reviews-1, uid: 6f1f8a8e}
          nodeName: node-1
          zone: zone-a
        - addresses: ["10.0.0.2"]
          conditions: {ready: false}
        - addresses: ["10.0.0.3"]
        ports:
        - {name: http, port: \(port), protocol: TCP}
        """
    }

    @Test func decodesEveryField() throws {
        let result = decode(Self.sliceYAML())
        #expect(result.warnings.isEmpty, "\(result.warnings.map(\.description))")
        guard case .endpointSlice(let slice) = onlyResource(result) else {
            Issue.record("not an EndpointSlice")
            return
        }
        #expect(slice.serviceName == "reviews")
        #expect(slice.addressType == .ipv4)
        #expect(slice.endpoints.map(\.addresses) == [["10.0.0.1"], ["10.0.0.2"], ["10.0.0.3"]])
        #expect(slice.endpoints.map(\.ready) == [true, false, true])
        let target = SliceTargetRef(kind: "Pod", name: "reviews-1", namespace: "bookinfo")
        #expect(slice.endpoints.first?.targetRef == target)
        #expect(slice.endpoints.first?.nodeName == "node-1")
        #expect(slice.endpoints.first?.zone == "zone-a")
        #expect(slice.ports == [SlicePort(name: "http", port: 9080, transportProtocol: "TCP")])
    }

    @Test func refusesUnknownAddressTypeAndPortOutOfRange() {
        let badType = onlyError(decode(Self.sliceYAML(addressType: "IPv5")))
        #expect(badType?.description.contains("addressType") == true)
        #expect(badType?.description.contains("IPv5") == true)
        let badPort = onlyError(decode(Self.sliceYAML(port: "70000")))
        #expect(badPort?.description.contains("ports[0].port") == true)
        #expect(badPort?.description.contains("out of range") == true)
        let noType = decode(Self.sliceYAML().replacingOccurrences(of: "addressType: IPv4\n", with: ""))
        #expect(noType.objects.isEmpty)
        #expect(noType.errors.contains { $0.description.contains("addressType") })
    }

    let reviews = MeshResource.service(
        KubernetesService(
            meta: ObjectMeta(name: "reviews", namespace: "bookinfo"),
            ports: [ServicePort(name: "http", port: 9080, targetPort: .number(9080))],
            selector: ["app": "reviews"], clusterIP: "10.96.0.5"))

    @Test func slicesReplaceTheSelectorWithReadyEndpoints() throws {
        let slice = try #require(decode(Self.sliceYAML(port: "8080")).objects.first?.resource)
        let snapshot = MeshSnapshot.build(
            from: objects([
                reviews, slice,
                pod(
                    "reviews-1", ip: "10.0.0.1",
                    labels: ["app": "reviews", "version": "v1", "security.istio.io/tlsMode": "istio"]),
                pod("reviews-9", ip: "10.0.0.9", labels: ["app": "reviews"]),
            ]))
        let endpoints = snapshot.endpoints(hostname: "reviews.bookinfo.svc.cluster.local", port: 9080)
        // 10.0.0.9 is selected by labels but not in the slice; 10.0.0.2 is not ready. The port is the slice's.
        #expect(endpoints.map { "\($0.address):\($0.port)" } == ["10.0.0.1:8080", "10.0.0.3:8080"])
        // The targetRef Pod gives labels and service account; an endpoint without one has neither.
        #expect(endpoints.first?.labels == ["app": "reviews", "version": "v1", "security.istio.io/tlsMode": "istio"])
        #expect(endpoints.first?.serviceAccount == "sa-reviews-1")
        #expect(endpoints.first?.origin == ResourceKey(kind: .pod, namespace: "bookinfo", name: "reviews-1"))
        #expect(endpoints.first?.hasSidecar == true, "the targetRef Pod's tlsMode label")
        #expect(endpoints.last?.hasSidecar == false, "no Pod, no sidecar")
        #expect(endpoints.last?.labels == [:])
        #expect(endpoints.last?.serviceAccount == nil)
        #expect(endpoints.last?.origin == ResourceKey(kind: .endpointSlice, namespace: "bookinfo", name: "reviews-abc"))
    }

    @Test func portIsMatchedByServicePortName() throws {
        let slice = try #require(decode(Self.sliceYAML()).objects.first?.resource)
        let grpc = MeshResource.service(
            KubernetesService(
                meta: ObjectMeta(name: "reviews", namespace: "bookinfo"),
                ports: [ServicePort(name: "grpc", port: 9090)], selector: ["app": "reviews"]))
        let snapshot = MeshSnapshot.build(from: objects([grpc, slice]))
        #expect(snapshot.endpoints(hostname: "reviews.bookinfo.svc.cluster.local", port: 9090).isEmpty)
    }

    @Test func withoutSlicesTheSelectorStillApplies() throws {
        let yaml = Self.sliceYAML().replacingOccurrences(
            of: "kubernetes.io/service-name: reviews", with: "kubernetes.io/service-name: ratings")
        let other = try #require(decode(yaml).objects.first?.resource)
        let snapshot = MeshSnapshot.build(
            from: objects([
                reviews, other, pod("reviews-9", ip: "10.0.0.9", labels: ["app": "reviews"]),
            ]))
        let endpoints = snapshot.endpoints(hostname: "reviews.bookinfo.svc.cluster.local", port: 9080)
        #expect(endpoints.map(\.address) == ["10.0.0.9"])
    }
}
