/// Istio `Sidecar`: narrows what the proxies it selects import (egress), how they receive traffic (ingress), and
/// what happens to traffic to destinations the registry does not know (outboundTrafficPolicy).
///
/// Scope follows from where it lives: with `workloadSelector` it applies to the matching workloads of its
/// namespace; without, to every proxy of its namespace; without a selector in the root namespace, to every proxy
/// whose namespace has no Sidecar of its own.
public struct Sidecar: Sendable, Hashable {
    public var meta: ObjectMeta
    /// `workloadSelector.labels`; nil when the Sidecar has no selector.
    public var workloadSelector: [String: String]?
    public var ingress: [SidecarIngressListener]
    public var egress: [SidecarEgressListener]
    /// `outboundTrafficPolicy.mode`; nil when not set (the mesh-wide default applies).
    public var outboundTrafficPolicy: OutboundTrafficPolicyMode?

    public init(
        meta: ObjectMeta, workloadSelector: [String: String]? = nil,
        ingress: [SidecarIngressListener] = [],
        egress: [SidecarEgressListener] = [], outboundTrafficPolicy: OutboundTrafficPolicyMode? = nil
    ) {
        self.meta = meta
        self.workloadSelector = workloadSelector
        self.ingress = ingress
        self.egress = egress
        self.outboundTrafficPolicy = outboundTrafficPolicy
    }

    /// True when this Sidecar's selector matches `labels` (a Sidecar without selector matches every workload).
    /// Namespace and root-namespace rules are applied by `MeshSnapshot.sidecar(forNamespace:labels:)`.
    public func selects(labels: [String: String]) -> Bool {
        guard let workloadSelector else { return true }
        return workloadSelector.allSatisfy { labels[$0.key] == $0.value }
    }
}

/// `port` of a Sidecar listener (Istio's `SidecarPort`).
public struct SidecarPort: Sendable, Hashable {
    public var number: Int
    /// Istio's protocol name (HTTP, HTTP2, GRPC, TCP, TLS, HTTPS, ...), as written; empty when not given.
    public var `protocol`: String
    public var name: String
    /// `targetPort` (only meaningful on ingress listeners).
    public var targetPort: Int?

    public init(number: Int, protocol: String = "", name: String = "", targetPort: Int? = nil) {
        self.number = number
        self.protocol = `protocol`
        self.name = name
        self.targetPort = targetPort
    }
}

/// `captureMode` of a Sidecar listener.
public enum SidecarCaptureMode: String, Sendable, Hashable, CaseIterable {
    case defaultMode = "DEFAULT"
    case iptables = "IPTABLES"
    case none = "NONE"
}

/// `outboundTrafficPolicy.mode`: whether traffic to unknown destinations passes through or is dropped.
public enum OutboundTrafficPolicyMode: String, Sendable, Hashable, CaseIterable {
    case registryOnly = "REGISTRY_ONLY"
    case allowAny = "ALLOW_ANY"
}

/// One `ingress` listener: a port the workload serves, forwarded to `defaultEndpoint`.
public struct SidecarIngressListener: Sendable, Hashable {
    public var port: SidecarPort?
    public var bind: String?
    public var captureMode: SidecarCaptureMode?
    /// `127.0.0.1:PORT`, `0.0.0.0:PORT`, `[::1]:PORT`, `[::]:PORT` or `unix:///path`; nil when not given.
    public var defaultEndpoint: String?
    /// `tls.mode` when a `tls` block was given (read for validation only; meshd warns that it is not translated);
    /// an empty string for a `tls` block without a mode. Nil without `tls`.
    public var tlsMode: String?

    public init(
        port: SidecarPort? = nil, bind: String? = nil, captureMode: SidecarCaptureMode? = nil,
        defaultEndpoint: String? = nil, tlsMode: String? = nil
    ) {
        self.port = port
        self.bind = bind
        self.captureMode = captureMode
        self.defaultEndpoint = defaultEndpoint
        self.tlsMode = tlsMode
    }
}

/// One `egress` listener: the hosts the proxy imports, optionally only on one port.
public struct SidecarEgressListener: Sendable, Hashable {
    public var port: SidecarPort?
    public var bind: String?
    public var captureMode: SidecarCaptureMode?
    /// `namespace/dnsName` entries: namespace `*`, `.` (the Sidecar's own) or `~` (none); dnsName `*`, a
    /// wildcard prefix (`*.example.com`) or a name.
    public var hosts: [String]

    public init(
        port: SidecarPort? = nil, bind: String? = nil, captureMode: SidecarCaptureMode? = nil,
        hosts: [String]
    ) {
        self.port = port
        self.bind = bind
        self.captureMode = captureMode
        self.hosts = hosts
    }
}
