import MeshModel
import Yams

/// The containers and volumes `meshd inject` adds to a pod, as YAML nodes.
enum InjectContainers {
    /// `istio-init`: installs the redirect as root with NET_ADMIN and NET_RAW, then exits.
    static func initContainer(settings: InjectSettings, interception: InterceptionSettings = InterceptionSettings()) -> Node {
        [
            "name": .string(InjectSettings.initContainerName),
            "image": .string(settings.initImage),
            "command": ["/bin/sh", "-c"],
            "args": [.block(InjectInterception.script(interception: interception))],
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
    /// meshd's own, sorted by name). Its readiness probe asks Envoy's `/ready` through the bootstrap's readiness
    /// listener, so the pod is Ready only once Envoy holds its first clusters and listeners from meshd; as a native
    /// sidecar the same check is its startup probe, which holds the application containers until it passes. Its
    /// preStop hook keeps it up for `terminationDrainDuration`.
    static func sidecar(
        bootstrapTemplate: String, settings: InjectSettings, proxy: ProxySettings = ProxySettings(),
        options: SidecarOptions? = nil
    ) -> Node {
        let options = options ?? SidecarOptions(annotations: PodAnnotations(), proxy: proxy, nativeSidecar: settings.nativeSidecar)
        let annotations = options.annotations
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
        let readinessCheck: Node = [
            "path": .string(InjectBootstrap.readinessPath), "port": .int(settings.readinessPort),
        ]
        var container: Node = [
            "name": .string(InjectSettings.proxyContainerName),
            "image": .string(annotations.proxyImage ?? proxy.image(from: settings.proxyImage)),
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
            "ports": [
                [
                    "name": "http-envoy-health", "containerPort": .int(settings.readinessPort),
                    "protocol": "TCP",
                ]
            ],
            "readinessProbe": [
                "httpGet": readinessCheck,
                "initialDelaySeconds": .int(annotations.readinessInitialDelaySeconds),
                "periodSeconds": .int(annotations.readinessPeriodSeconds),
                "failureThreshold": .int(annotations.readinessFailureThreshold),
                "timeoutSeconds": 3,
            ],
            "resources": [
                "requests": [
                    "cpu": .string(annotations.cpuRequest ?? "100m"),
                    "memory": .string(annotations.memoryRequest ?? "128Mi"),
                ],
                "limits": [
                    "cpu": .string(annotations.cpuLimit ?? "2000m"),
                    "memory": .string(annotations.memoryLimit ?? "1Gi"),
                ],
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
        var lifecycle: Node = [
            // The application's containers stop first (a native sidecar is stopped after them); the sidecar then
            // stays up for terminationDrainDuration, so in-flight requests finish through it.
            "preStop": ["exec": ["command": ["sleep", .string(String(options.terminationDrainSeconds))]]]
        ]
        if settings.nativeSidecar {
            container["restartPolicy"] = "Always"
            // The kubelet starts the next container only once a native sidecar's startup probe passes.
            container["startupProbe"] = [
                "httpGet": readinessCheck, "periodSeconds": 1, "failureThreshold": 600, "timeoutSeconds": 3,
            ]
        } else if options.holdApplication {
            // An ordinary container: the kubelet starts the next one only after this postStart hook returns.
            lifecycle["postStart"] = [
                "exec": ["command": ["/bin/bash", "-c", .block(InjectBootstrap.waitUntilReady(port: settings.readinessPort))]]
            ]
        }
        container["lifecycle"] = lifecycle
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
