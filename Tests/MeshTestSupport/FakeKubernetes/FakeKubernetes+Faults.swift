import Hummingbird

/// A broken API server on demand: what meshd sees when the server fails, so tests can prove that a failed LIST or
/// WATCH never deletes anything.
public enum FakeFault: Sendable, Equatable {
    /// Every LIST and WATCH of the kind answers this HTTP status with a `Status` body.
    case status(Int)
    /// LISTs answer 200 with a list body that has no `items` (a truncated or broken proxy response).
    case listWithoutItems
}

extension FakeKubernetes {
    /// Makes every LIST and WATCH of `kind` fail with `fault`, or serve normally again with nil.
    public func inject(_ fault: FakeFault?, kind: String) {
        guard let resource = FakeResource.forKind(kind) else { return }
        state.withLock { $0.faults[resource.collectionPath] = fault }
    }

    /// How many requests were answered with an injected fault.
    public var faultyResponses: Int { state.withLock { $0.faultyResponses } }

    /// The injected fault's response for this request, if any.
    func faultResponse(for resource: FakeResource, isWatch: Bool) -> Hummingbird.Response? {
        let fault = state.withLock { state -> FakeFault? in
            guard let fault = state.faults[resource.collectionPath] else { return nil }
            if case .listWithoutItems = fault, isWatch { return nil }
            state.faultyResponses += 1
            return fault
        }
        switch fault {
        case .status(403)?:
            // What the RBAC authorizer answers a service account that no rule grants the kind.
            return Self.status(
                403, reason: "Forbidden",
                "\(resource.plural)\(resource.group.isEmpty ? "" : ".\(resource.group)") is forbidden: User "
                    + "\"system:serviceaccount:istio-system:meshd\" cannot list resource \"\(resource.plural)\" in API group "
                    + "\"\(resource.group)\" at the cluster scope")
        case .status(let code)?:
            return Self.status(code, reason: "InternalError", "injected failure")
        case .listWithoutItems?:
            return Self.json(
                "{\"apiVersion\":\"\(resource.apiVersion)\",\"kind\":\"\(resource.kind)List\",\"metadata\":{\"resourceVersion\":\"1\"}}"
            )
        case nil:
            return nil
        }
    }
}
