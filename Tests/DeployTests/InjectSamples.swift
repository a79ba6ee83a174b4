/// Workload YAML the inject tests feed to `meshd inject`, written as a user would have it.
enum InjectSamples {
    /// A Service, a Deployment and a ConfigMap, as one multi-document file.
    static let bookinfo = """
        apiVersion: v1
        kind: Service
        metadata:
          name: reviews
          namespace: bookinfo
        spec:
          selector:
            app: reviews
          ports:
            - name: http
              port: 9080
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: reviews-v1
          namespace: bookinfo
        spec:
          replicas: 2
          selector:
            matchLabels:
              app: reviews
              version: v1
          template:
            metadata:
              labels:
                app: reviews
                version: v1
            spec:
              serviceAccountName: bookinfo-reviews
              initContainers:
                - name: migrate
                  image: busybox:1.36
                  command: ["true"]
              containers:
                - name: reviews
                  image: docker.io/istio/examples-bookinfo-reviews-v1:1.20.2
                  ports:
                    - containerPort: 9080
              volumes:
                - name: tmp
                  emptyDir: {}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: reviews-settings
          namespace: bookinfo
        data:
          enabled: "true"
          port: "9080"

        """

    /// One of each other workload kind `meshd inject` handles.
    static let otherWorkloads = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: sleep
        spec:
          containers:
            - name: sleep
              image: curlimages/curl:8.8.0
              command: ["sleep", "infinity"]
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: db
        spec:
          serviceName: db
          selector:
            matchLabels: {app: db}
          template:
            metadata:
              labels: {app: db}
            spec:
              containers:
                - name: db
                  image: postgres:16
        ---
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: agent
        spec:
          selector:
            matchLabels: {app: agent}
          template:
            metadata:
              labels: {app: agent}
            spec:
              containers:
                - name: agent
                  image: busybox:1.36
        ---
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: report
        spec:
          template:
            spec:
              restartPolicy: Never
              containers:
                - name: report
                  image: busybox:1.36

        """
}
