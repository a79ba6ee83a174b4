import Foundation
public import MeshModel
import Yams

/// Istio's per-pod annotations that change what is injected, read from a pod template's annotations. A value that
/// cannot be used refuses the injection with the annotation's name and the reason, as istiod's
/// `validateAnnotations` does; an unknown `sidecar.istio.io/` or `traffic.sidecar.istio.io/` annotation is a warning.
public struct PodAnnotations: Sendable, Hashable {
    /// `sidecar.istio.io/proxyCPU`, `proxyMemory`, `proxyCPULimit`, `proxyMemoryLimit`: the sidecar's resources.
    public var cpuRequest: String?
    public var memoryRequest: String?
    public var cpuLimit: String?
    public var memoryLimit: String?
    /// `sidecar.istio.io/proxyImage`: the sidecar image, in place of the injector's.
    public var proxyImage: String?
    /// The `traffic.sidecar.istio.io/` annotations: what the init container redirects.
    public var interception = InterceptionSettings()
    /// `readiness.status.sidecar.istio.io/initialDelaySeconds`, `periodSeconds`, `failureThreshold`.
    public var readinessInitialDelaySeconds = 0
    public var readinessPeriodSeconds = 15
    public var readinessFailureThreshold = 4
    /// `proxy.istio.io/config`: ProxyConfig fields for this pod, over the mesh-wide ones.
    public var holdApplicationUntilProxyStarts: Bool?
    public var terminationDrainSeconds: Int?
    public var concurrency: Int?
    /// What was not understood (unknown annotations and fields); injection goes on.
    public var warnings: [String] = []

    public static let cpuRequestKey = "sidecar.istio.io/proxyCPU"
    public static let memoryRequestKey = "sidecar.istio.io/proxyMemory"
    public static let cpuLimitKey = "sidecar.istio.io/proxyCPULimit"
    public static let memoryLimitKey = "sidecar.istio.io/proxyMemoryLimit"
    public static let proxyImageKey = "sidecar.istio.io/proxyImage"
    public static let includeOutboundIPRangesKey = "traffic.sidecar.istio.io/includeOutboundIPRanges"
    public static let excludeOutboundIPRangesKey = "traffic.sidecar.istio.io/excludeOutboundIPRanges"
    public static let includeOutboundPortsKey = "traffic.sidecar.istio.io/includeOutboundPorts"
    public static let excludeOutboundPortsKey = "traffic.sidecar.istio.io/excludeOutboundPorts"
    public static let includeInboundPortsKey = "traffic.sidecar.istio.io/includeInboundPorts"
    public static let excludeInboundPortsKey = "traffic.sidecar.istio.io/excludeInboundPorts"
    public static let proxyConfigKey = "proxy.istio.io/config"
    static let readinessPrefix = "readiness.status.sidecar.istio.io/"

    /// Annotations under Istio's prefixes that meshd reads elsewhere or that only mark a pod.
    static let understood: Set<String> = [
        InjectionPolicy.injectKey, PodTemplateInjection.statusAnnotation, "sidecar.istio.io/interceptionMode",
    ]

    public init() {}

    public init(_ annotations: [String: String]) throws(InjectError) {
        for (key, value) in annotations.sorted(by: { $0.key < $1.key }) {
            switch key {
            case Self.cpuRequestKey: cpuRequest = try Self.quantity(value, key)
            case Self.memoryRequestKey: memoryRequest = try Self.quantity(value, key)
            case Self.cpuLimitKey: cpuLimit = try Self.quantity(value, key)
            case Self.memoryLimitKey: memoryLimit = try Self.quantity(value, key)
            case Self.proxyImageKey:
                guard !value.isEmpty, !value.contains(where: \.isWhitespace) else {
                    throw Self.invalid(key, value, "must be an image reference")
                }
                proxyImage = value
            case Self.includeOutboundIPRangesKey:
                interception.includeOutboundIPRanges = try Self.ranges(value, key, allowWildcard: true)
            case Self.excludeOutboundIPRangesKey:
                interception.excludeOutboundIPRanges = try Self.ranges(value, key, allowWildcard: false) ?? []
            case Self.includeOutboundPortsKey:
                interception.includeOutboundPorts = try Self.ports(value, key, allowWildcard: false) ?? []
            case Self.excludeOutboundPortsKey:
                interception.excludeOutboundPorts = try Self.ports(value, key, allowWildcard: false) ?? []
            case Self.includeInboundPortsKey:
                interception.includeInboundPorts = try Self.ports(value, key, allowWildcard: true)
            case Self.excludeInboundPortsKey:
                interception.excludeInboundPorts = try Self.ports(value, key, allowWildcard: false) ?? []
            case Self.readinessPrefix + "initialDelaySeconds":
                readinessInitialDelaySeconds = try Self.count(value, key, minimum: 0)
            case Self.readinessPrefix + "periodSeconds":
                readinessPeriodSeconds = try Self.count(value, key, minimum: 1)
            case Self.readinessPrefix + "failureThreshold":
                readinessFailureThreshold = try Self.count(value, key, minimum: 1)
            case Self.proxyConfigKey:
                try readProxyConfig(value)
            case "sidecar.istio.io/interceptionMode" where value != "REDIRECT":
                throw Self.invalid(key, value, "meshd's init container supports REDIRECT only")
            default:
                let prefixes = ["sidecar.istio.io/", "traffic.sidecar.istio.io/", Self.readinessPrefix]
                if !Self.understood.contains(key), prefixes.contains(where: key.hasPrefix) {
                    warnings.append("annotation \(key) is not supported by meshd's injector; ignored")
                }
            }
        }
    }

    /// `proxy.istio.io/config`: a ProxyConfig in YAML or JSON; `holdApplicationUntilProxyStarts`,
    /// `terminationDrainDuration` and `concurrency` are read, other fields are warned about.
    mutating func readProxyConfig(_ text: String) throws(InjectError) {
        let key = Self.proxyConfigKey
        let document: JSONValue
        do {
            document = try NodeJSON.json(try Yams.compose(yaml: text) ?? Node([(Node, Node)]()))
        } catch {
            throw Self.invalid(key, text, "is not a YAML mapping: \(error)")
        }
        guard case .object(let fields) = document else { throw Self.invalid(key, text, "must be a YAML mapping") }
        for (field, value) in fields.sorted(by: { $0.key < $1.key }) {
            switch field {
            case "holdApplicationUntilProxyStarts":
                guard case .bool(let flag) = value else {
                    throw InjectError(reason: "annotation \(key): holdApplicationUntilProxyStarts: must be a boolean")
                }
                holdApplicationUntilProxyStarts = flag
            case "terminationDrainDuration":
                guard let text = value.stringValue, let duration = GoDuration.parse(text), duration >= .zero else {
                    throw InjectError(
                        reason: "annotation \(key): terminationDrainDuration: must be a duration such as \"5s\"")
                }
                terminationDrainSeconds = SidecarOptions.wholeSeconds(duration)
            case "concurrency":
                guard case .int(let number) = value, number >= 0, number <= Int64(Int32.max) else {
                    throw InjectError(reason: "annotation \(key): concurrency: must be an integer of at least 0")
                }
                concurrency = Int(number)
            default:
                warnings.append("annotation \(key): field \(field) is not supported by meshd's injector; ignored")
            }
        }
    }

    static func invalid(_ key: String, _ value: String, _ reason: String) -> InjectError {
        InjectError(reason: "annotation \(key): \"\(value)\" \(reason)")
    }

    /// A Kubernetes resource quantity: a decimal number with an optional SI, binary or exponent suffix.
    static func quantity(_ value: String, _ key: String) throws(InjectError) -> String {
        let pattern = #"^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([numkMGTPE]|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$"#
        guard value.range(of: pattern, options: .regularExpression) != nil else {
            throw invalid(key, value, "is not a resource quantity (such as 100m, 128Mi)")
        }
        return value
    }

    static func count(_ value: String, _ key: String, minimum: Int) throws(InjectError) -> Int {
        guard let number = Int(value), number >= minimum, number <= Int(Int32.max) else {
            throw invalid(key, value, "must be an integer of at least \(minimum)")
        }
        return number
    }

    /// A comma-separated port list; `*` (when allowed) is nil, meaning every port.
    static func ports(_ value: String, _ key: String, allowWildcard: Bool) throws(InjectError) -> [Int]? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if allowWildcard && trimmed == "*" { return nil }
        var ports: [Int] = []
        for item in trimmed.split(separator: ",") {
            let text = item.trimmingCharacters(in: .whitespaces)
            guard let port = Int(text), (1...65535).contains(port) else {
                throw invalid(key, value, "must be a comma-separated list of ports (1-65535)\(allowWildcard ? " or *" : "")")
            }
            ports.append(port)
        }
        return ports
    }

    /// A comma-separated CIDR list; `*` (when allowed) is nil, meaning every address.
    static func ranges(_ value: String, _ key: String, allowWildcard: Bool) throws(InjectError) -> [String]? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if allowWildcard && trimmed == "*" { return nil }
        var ranges: [String] = []
        for item in trimmed.split(separator: ",") {
            let text = item.trimmingCharacters(in: .whitespaces)
            // IPv4 only: the init container installs IPv4 rules.
            guard text.contains("/"), IPAddress.isValidSubnet(text), IPAddress.isIPv4(text.prefix { $0 != "/" }) else {
                throw invalid(key, value, "must be a comma-separated list of CIDRs (10.0.0.0/8)\(allowWildcard ? " or *" : "")")
            }
            ranges.append(text)
        }
        return ranges
    }
}
