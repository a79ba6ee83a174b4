/// Istio's admission webhook configurations (`admissionregistration.k8s.io/v1`, cluster-scoped) as a real API server
/// returns them after its defaults (`matchPolicy`, `namespaceSelector`, `objectSelector`, `timeoutSeconds`, and for
/// mutating webhooks `reinvocationPolicy`), without `caBundle`: what `istioctl install` leaves for istiod to patch.
extension FakeObjects {
    /// A MutatingWebhookConfiguration whose webhooks send pod creations to the `istiod` Service's `/inject`.
    public static func mutatingWebhookConfiguration(_ name: String, webhooks: [String]) -> String {
        let items = webhooks.map { webhook in
            """
            {"name":"\(webhook)","clientConfig":{"service":{"name":"istiod","namespace":"istio-system",\
            "path":"/inject/cluster/Kubernetes/net/network1","port":443}},\
            "rules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"],"scope":"*"}],\
            "failurePolicy":"Fail","matchPolicy":"Equivalent",\
            "namespaceSelector":{"matchExpressions":[{"key":"istio-injection","operator":"In","values":["enabled"]}]},\
            "objectSelector":{"matchExpressions":[{"key":"sidecar.istio.io/inject","operator":"NotIn","values":["false"]}]},\
            "sideEffects":"None","timeoutSeconds":10,"admissionReviewVersions":["v1","v1beta1"],"reinvocationPolicy":"Never"}
            """
        }
        return """
            {"apiVersion":"admissionregistration.k8s.io/v1","kind":"MutatingWebhookConfiguration",\
            "metadata":{"name":"\(name)","labels":{"app":"sidecar-injector","istio.io/rev":"default"}},\
            "webhooks":[\(items.joined(separator: ","))]}
            """
    }

    /// A ValidatingWebhookConfiguration whose webhooks send Istio config writes to the `istiod` Service's
    /// `/validate`, with `failurePolicy` as given (Istio installs it as `Ignore`).
    public static func validatingWebhookConfiguration(
        _ name: String, webhooks: [String], failurePolicy: String
    ) -> String {
        let items = webhooks.map { webhook in
            """
            {"name":"\(webhook)","clientConfig":{"service":{"name":"istiod","namespace":"istio-system",\
            "path":"/validate","port":443}},\
            "rules":[{"apiGroups":["security.istio.io","networking.istio.io","telemetry.istio.io","extensions.istio.io"],\
            "apiVersions":["*"],"operations":["CREATE","UPDATE"],"resources":["*"],"scope":"*"}],\
            "failurePolicy":"\(failurePolicy)","matchPolicy":"Equivalent","namespaceSelector":{},\
            "objectSelector":{"matchExpressions":[{"key":"istio.io/rev","operator":"In","values":["default"]}]},\
            "sideEffects":"None","timeoutSeconds":10,"admissionReviewVersions":["v1","v1beta1"]}
            """
        }
        return """
            {"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration",\
            "metadata":{"name":"\(name)","labels":{"app":"istiod","istio":"istiod","istio.io/rev":"default"}},\
            "webhooks":[\(items.joined(separator: ","))]}
            """
    }
}
