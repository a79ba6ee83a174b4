import MeshModel
import Yams

/// The containers and volumes `meshd inject` adds to a pod, as YAML nodes.
enum InjectContainers {
    /// `istio-init`: installs the redirect as root with NET_ADMIN and NET_RAW, then exits.
    static func initContainer(settings: InjectSettings) -> Node {
        [
            "name": .string(InjectSettings.initContainerName),
            "image": .string(settings.initImage),
            "command": ["/bin/sh", "-c"],
            "args": [.block(InjectInterception.script())],
            "resources": ["requests": ["cpu": "10m", "memory": "16Mi"], "limits": ["cpu": "100m", "memory": "64Mi"]],
            "securityContext": [
                "runAsUser": 0,
                "runAsGroup": 0,
                "runAsNonRoot": .bool(false),
                "privileged": .bool(false),
                "allowPrivilegeEscalation": .bool(false),
                "readOnlyRootFilesystem": .bool(true),
                "capabilities": ["add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]],
            ],
        ]
    }

    /// `istio-proxy`: Envoy as uid 1337 (the uid the redirect exempts), started by the rendering entrypoint, with the
    /// pod's merged ProxyConfig settings: the image type's tag, `--concurrency`, and the environment variables (after
    /// meshd's own, sorted by name).
    static func sidecar(
        bootstrapTemplate: String, settings: InjectSettings, proxy: ProxySettings = ProxySettings()
    ) -> Node {
        var mounts: [Node] = [
            [
                "name": .string(InjectSettings.tokenVolumeName), "mountPath": .string(InjectSettings.tokenDirectory),
                "readOnly": .bool(true),
            ]
        ]
        if !settings.plaintext {
            mounts.append([
                "name": .string(InjectSettings.rootCertVolumeName),
                "mountPath": .string(InjectSettings.rootCertDirectory),
                "readOnly": .bool(true),
            ])
        }
        var container: Node = [
            "name": .string(InjectSettings.proxyContainerName),
            "image": .string(proxy.image(from: settings.proxyImage)),
            "command": ["/bin/sh", "-c"],
            "args": [.block(InjectBootstrap.entrypoint(concurrency: proxy.concurrency))],
            "env": .sequence(
                .init(
                    [
                        fieldEnv("INSTANCE_IP", "status.podIP"),
                        fieldEnv("POD_NAME", "metadata.name"),
                        fieldEnv("POD_NAMESPACE", "metadata.namespace"),
                        fieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"),
                        ["name": .string(InjectBootstrap.templateVariable), "value": .quoted(bootstrapTemplate)],
                    ]
                        + proxy.environmentVariables.sorted { $0.key < $1.key }.map { name, value -> Node in
                            ["name": .string(name), "value": .quoted(value)]
                        })),
            "resources": [
                "requests": ["cpu": "100m", "memory": "128Mi"], "limits": ["cpu": "2000m", "memory": "1Gi"],
            ],
            "securityContext": [
                "runAsUser": .int(InjectSettings.proxyUID),
                "runAsGroup": .int(InjectSettings.proxyUID),
                "runAsNonRoot": .bool(true),
                "allowPrivilegeEscalation": .bool(false),
                "readOnlyRootFilesystem": .bool(true),
                "privileged": .bool(false),
                "capabilities": ["drop": ["ALL"]],
            ],
            "volumeMounts": .sequence(.init(mounts)),
        ]
        if settings.nativeSidecar { container["restartPolicy"] = "Always" }
        return container
    }

    /// The projected token (audience `istio-ca`) the sidecar sends as its bootstrap token, and the mesh root
    /// that verifies meshd's serving certificate.
    static func volumes(settings: InjectSettings) -> [Node] {
        var volumes: [Node] = [
            [
                "name": .string(InjectSettings.tokenVolumeName),
                "projected": [
                    "sources": [
                        [
                            "serviceAccountToken": [
                                "audience": .string(InjectSettings.tokenAudience),
                                "expirationSeconds": .int(settings.tokenExpirationSeconds),
                                "path": "istio-token",
                            ]
                        ]
                    ]
                ],
            ]
        ]
        if !settings.plaintext {
            volumes.append([
                "name": .string(InjectSettings.rootCertVolumeName),
                "configMap": ["name": .string(InjectSettings.rootCertConfigMap)],
            ])
        }
        return volumes
    }

    static func fieldEnv(_ name: String, _ path: String) -> Node {
        ["name": .string(name), "valueFrom": ["fieldRef": ["fieldPath": .string(path)]]]
    }
}

extension Node {
    /// A plain string scalar; YAML would read `"true"` or `"1337"` as another type, so those are quoted.
    static func string(_ value: String) -> Node {
        .scalar(.init(value, .init(.str), Node(value).any is String ? .plain : .doubleQuoted))
    }

    /// A string that is always written in double quotes (long single-line values such as JSON).
    static func quoted(_ value: String) -> Node {
        .scalar(.init(value, .init(.str), .doubleQuoted))
    }

    /// A multi-line string written as a literal block (`|`), so scripts stay readable in the manifest.
    static func block(_ value: String) -> Node {
        .scalar(.init(value, .init(.str), .literal))
    }

    static func bool(_ value: Bool) -> Node {
        .scalar(.init(value ? "true" : "false", .init(.bool), .plain))
    }

    static func int(_ value: Int) -> Node {
        .scalar(.init(String(value), .init(.int), .plain))
    }
}
