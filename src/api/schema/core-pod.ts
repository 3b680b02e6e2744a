// core/v1 Pod and everything inside PodSpec except volume sources (see core-volumes.ts):
// containers, probes, lifecycle hooks, security contexts, resources, affinity, topology spread,
// tolerations, DNS, scheduling gates, resource claims, and PodStatus.
// Field names, JSON types and strategic-merge metadata follow upstream k8s.io/api core/v1.

import {
  CORE,
  bool, int32, int64, intOrString, keyedList, list, listOf, mapList, obj, objectMeta, quantity, ref, resourceList,
  setList, str, strList, strMap, time, labelSelector, typeMeta,
  type Definitions, type Props,
} from './dsl.js';

const r = (name: string, description?: string) => ref(CORE + name, description);

/** Fields shared by Container and EphemeralContainer (upstream's EphemeralContainerCommon). */
function containerProps(ephemeral: boolean): Props {
  const notEphemeral = ephemeral ? ' Not allowed for ephemeral containers.' : '';
  return {
    name: str('Name of the container, a DNS label unique among all containers of the pod. Cannot be updated.'),
    image: str('Container image reference, e.g. "registry.example/app:1.2". Workload controllers may leave it empty in templates only.'),
    command: strList('Entrypoint, replacing the image ENTRYPOINT; not run in a shell. $(VAR) references to container env vars are expanded, $$ escapes. Cannot be updated.'),
    args: strList('Arguments to the entrypoint, replacing the image CMD. $(VAR) references are expanded like in command. Cannot be updated.'),
    workingDir: str('Working directory of the process; defaults to the image\'s. Cannot be updated.'),
    ports: keyedList(r('ContainerPort'), 'containerPort', `Ports the container exposes. Informational mostly: any port a process listens on is reachable.${notEphemeral}`, { mapKeys: ['containerPort', 'protocol'] }),
    envFrom: list(r('EnvFromSource'), 'Sources (ConfigMaps, Secrets) whose keys become environment variables. Explicit env entries win over these. Cannot be updated.'),
    env: keyedList(r('EnvVar'), 'name', 'Environment variables to set in the container. Cannot be updated.'),
    resources: r('ResourceRequirements', `Compute resources (CPU, memory, ...) requested by and limited for this container.${notEphemeral}`),
    resizePolicy: list(r('ContainerResizePolicy'), 'How each resource of the container is resized in place (with or without a restart).'),
    restartPolicy: str('Per-container restart policy. Only "Always" is allowed, on init containers, which makes them sidecars that run for the life of the pod.'),
    restartPolicyRules: list(r('ContainerRestartRule'), 'Rules, checked in order, that decide on exit whether to restart this container, overriding restartPolicy.'),
    volumeMounts: keyedList(r('VolumeMount'), 'mountPath', 'Pod volumes to mount into the container\'s filesystem. Cannot be updated.'),
    volumeDevices: keyedList(r('VolumeDevice'), 'devicePath', 'Raw block devices (from block-mode claims) exposed to the container.'),
    livenessProbe: r('Probe', `Periodic check of container health; the container is restarted when it fails. Cannot be updated.${notEphemeral}`),
    readinessProbe: r('Probe', `Periodic check of readiness to serve; a failing container is removed from service endpoints. Cannot be updated.${notEphemeral}`),
    startupProbe: r('Probe', `Check that must succeed before liveness and readiness probes start; failing it restarts the container. Cannot be updated.${notEphemeral}`),
    lifecycle: r('Lifecycle', `Actions the kubelet runs after the container starts and before it stops. Cannot be updated.${notEphemeral}`),
    terminationMessagePath: str('File whose content becomes the termination message of the container. Defaults to /dev/termination-log. Cannot be updated.'),
    terminationMessagePolicy: str('Where the termination message comes from: File (default) or FallbackToLogsOnError (use the log tail when the file is empty and the container failed). Cannot be updated.'),
    imagePullPolicy: str('When to pull the image: Always, Never or IfNotPresent. Defaults to Always for the :latest tag or no tag, else IfNotPresent. Cannot be updated.'),
    securityContext: r('SecurityContext', 'Security options of this container; they override the pod-level securityContext.'),
    stdin: bool('Allocate a stdin buffer for the container; otherwise reads from stdin return EOF.'),
    stdinOnce: bool('Close stdin after the first attach session ends (until the container restarts).'),
    tty: bool('Allocate a TTY for the container (needs stdin as well).'),
  };
}

const probeHandler: Props = {
  exec: r('ExecAction', 'Run a command inside the container.'),
  httpGet: r('HTTPGetAction', 'Send an HTTP GET request.'),
  tcpSocket: r('TCPSocketAction', 'Open a TCP connection.'),
  grpc: r('GRPCAction', 'Call the gRPC health checking service.'),
};

const podSecurityShared: Props = {
  seLinuxOptions: r('SELinuxOptions', 'SELinux context to apply. Unset means the runtime picks a random one. Not for Windows pods.'),
  windowsOptions: r('WindowsSecurityContextOptions', 'Windows-specific options. Not for Linux pods.'),
  runAsUser: int64('UID that runs the entrypoint. Defaults to the user in the image metadata. Not for Windows pods.'),
  runAsGroup: int64('GID that runs the entrypoint. Defaults to the runtime default. Not for Windows pods.'),
  runAsNonRoot: bool('Require the container to run as a non-root user; the kubelet refuses to start it as UID 0.'),
};

export const podDefinitions: Definitions = {
  [CORE + 'Pod']: obj('A group of containers scheduled together onto one node, sharing network and volumes.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: r('PodSpec', 'Desired behaviour of the pod.'),
    status: r('PodStatus', 'Most recently observed state of the pod, reported by the system. Read-only.'),
  }),
  [CORE + 'PodList']: listOf(CORE + 'Pod', 'pods'),
  [CORE + 'PodTemplateSpec']: obj('The metadata and spec of pods a controller creates from this template.', {
    metadata: objectMeta('Metadata given to each created pod (labels must match the controller\'s selector).'),
    spec: r('PodSpec', 'Specification of each created pod.'),
  }),

  [CORE + 'PodSpec']: obj('Desired state of a pod: its containers, volumes and scheduling constraints.', {
    volumes: keyedList(r('Volume'), 'name', 'Volumes that containers of the pod can mount.', { strategy: 'merge,retainKeys' }),
    initContainers: keyedList(r('Container'), 'name', 'Containers run one after another, each to completion, before the regular containers start. Init containers with restartPolicy Always are sidecars that keep running. Cannot be added or removed after creation.'),
    containers: keyedList(r('Container'), 'name', 'The containers of the pod; at least one. Cannot be added or removed after creation.'),
    ephemeralContainers: keyedList(r('EphemeralContainer'), 'name', 'Debugging containers added to a running pod through the ephemeralcontainers subresource; not allowed on create.'),
    restartPolicy: str('Restart policy of all containers: Always (default), OnFailure or Never.'),
    terminationGracePeriodSeconds: int64('Seconds between the stop signal and the forced kill when the pod terminates. Defaults to 30; 0 kills at once.'),
    activeDeadlineSeconds: int64('Seconds the pod may run, counted from its start, before the system fails it.'),
    dnsPolicy: str('DNS policy of the pod: ClusterFirst (default), ClusterFirstWithHostNet, Default or None.'),
    nodeSelector: strMap('Labels a node must carry for the pod to be placed on it.', 'atomic'),
    serviceAccountName: str('Name of the ServiceAccount the pod runs as.'),
    serviceAccount: str('Deprecated alias of serviceAccountName.'),
    automountServiceAccountToken: bool('Whether an API token of the service account is mounted automatically.'),
    nodeName: str('Node the pod is bound to. Setting it skips scheduling; normally set by the scheduler (or a DaemonSet controller).'),
    hostNetwork: bool('Use the node\'s network namespace. Ports then are host ports. Default false.'),
    hostPID: bool('Use the node\'s PID namespace. Default false.'),
    hostIPC: bool('Use the node\'s IPC namespace. Default false.'),
    shareProcessNamespace: bool('Containers of the pod share one PID namespace and can see each other\'s processes. Not with hostPID.'),
    securityContext: r('PodSecurityContext', 'Pod-wide security attributes and defaults for the containers\' security contexts.'),
    imagePullSecrets: keyedList(r('LocalObjectReference'), 'name', 'Secrets in the pod\'s namespace holding registry credentials for pulling images.'),
    hostname: str('Hostname of the pod; defaults to a system-defined value.'),
    subdomain: str('Subdomain of the pod; with a headless service of that name the pod gets the FQDN <hostname>.<subdomain>.<namespace>.svc.<cluster-domain>.'),
    affinity: r('Affinity', 'Scheduling constraints relating the pod to nodes and to other pods.'),
    schedulerName: str('Scheduler responsible for the pod; the default scheduler when empty.'),
    tolerations: list(r('Toleration'), 'Taints the pod tolerates.'),
    hostAliases: keyedList(r('HostAlias'), 'ip', 'Extra entries for the pods\' /etc/hosts files.'),
    priorityClassName: str('Name of the PriorityClass whose value becomes the pod priority, e.g. system-node-critical.'),
    priority: int32('Priority value, filled in from priorityClassName by admission. Higher is more important.'),
    dnsConfig: r('PodDNSConfig', 'DNS parameters merged into the resolver configuration produced by dnsPolicy.'),
    readinessGates: list(r('PodReadinessGate'), 'Extra pod conditions that must be True for the pod to be ready.'),
    runtimeClassName: str('Name of the RuntimeClass (container runtime configuration) that runs the pod.'),
    enableServiceLinks: bool('Whether service information is injected as environment variables (docker-links style). Defaults to true.'),
    preemptionPolicy: str('Whether this pod may preempt lower-priority pods: PreemptLowerPriority (default) or Never.'),
    overhead: resourceList('Resources used by the pod sandbox on top of the containers\' requests; set by admission from the RuntimeClass.'),
    topologySpreadConstraints: keyedList(r('TopologySpreadConstraint'), 'topologyKey', 'How matching pods should spread across topology domains (zones, nodes, ...).', { mapKeys: ['topologyKey', 'whenUnsatisfiable'] }),
    setHostnameAsFQDN: bool('Set the pod\'s hostname to its fully qualified domain name.'),
    os: r('PodOS', 'Operating system the containers need; selects which validation applies.'),
    hostUsers: bool('Use the host user namespace (default true). False gives the pod its own user namespace.'),
    schedulingGates: keyedList(r('PodSchedulingGate'), 'name', 'Gates that keep the pod from being scheduled while any is present. Can only be removed after creation.'),
    resourceClaims: keyedList(r('PodResourceClaim'), 'name', 'Dynamic resource claims the pod uses; containers refer to them by name.', { strategy: 'merge,retainKeys' }),
    resources: r('ResourceRequirements', 'Pod-level resource requests and limits shared by all containers.'),
    hostnameOverride: str('Exact hostname for the pod, overriding hostname and subdomain.'),
    schedulingGroup: r('PodSchedulingGroup', 'The pod group this pod is scheduled together with.'),
    evictionResponders: keyedList(r('EvictionResponder'), 'name', 'Parties that must respond before the pod is evicted, ordered by priority.'),
  }, ['containers']),

  [CORE + 'Container']: obj('A single application container run in a pod.', containerProps(false), ['name']),
  [CORE + 'EphemeralContainer']: obj('A temporary container added to a running pod for debugging; it has no resource guarantees and is not restarted.', {
    ...containerProps(true),
    targetContainerName: str('Container whose namespaces (e.g. process namespace) this container joins. Empty: the pod\'s shared namespaces.'),
  }, ['name']),

  [CORE + 'ContainerPort']: obj('A network port of a container.', {
    name: str('IANA service name of the port, unique in the pod, that services can refer to.'),
    hostPort: int32('Port on the host to expose; with hostNetwork it must equal containerPort. Rarely needed.'),
    containerPort: int32('Port number on the pod\'s IP address (1-65535).'),
    protocol: str('UDP, TCP or SCTP. Defaults to TCP.'),
    hostIP: str('Host IP the host port binds to.'),
  }, ['containerPort']),
  [CORE + 'EnvFromSource']: obj('A source whose keys are turned into environment variables.', {
    prefix: str('String put in front of every key from this source.'),
    configMapRef: r('ConfigMapEnvSource', 'The ConfigMap to read.'),
    secretRef: r('SecretEnvSource', 'The Secret to read.'),
  }),
  [CORE + 'ConfigMapEnvSource']: obj('Selects a ConfigMap whose data becomes environment variables.', {
    name: str('Name of the ConfigMap in the pod\'s namespace.'),
    optional: bool('When true the ConfigMap need not exist.'),
  }),
  [CORE + 'SecretEnvSource']: obj('Selects a Secret whose data becomes environment variables.', {
    name: str('Name of the Secret in the pod\'s namespace.'),
    optional: bool('When true the Secret need not exist.'),
  }),
  [CORE + 'EnvVar']: obj('One environment variable of a container.', {
    name: str('Name of the variable.'),
    value: str('Literal value; $(VAR) references to earlier variables are expanded, $$ escapes. Defaults to "".'),
    valueFrom: r('EnvVarSource', 'Where to read the value from instead; not allowed together with a non-empty value.'),
  }, ['name']),
  [CORE + 'EnvVarSource']: obj('A source for an environment variable value; exactly one field is set.', {
    fieldRef: r('ObjectFieldSelector', 'A field of the pod: metadata.name, metadata.namespace, metadata.uid, metadata.labels[\'k\'], metadata.annotations[\'k\'], spec.nodeName, spec.serviceAccountName, status.hostIP, status.hostIPs, status.podIP or status.podIPs.'),
    resourceFieldRef: r('ResourceFieldSelector', 'A resource limit or request of a container (limits.cpu, requests.memory, ...).'),
    configMapKeyRef: r('ConfigMapKeySelector', 'A key of a ConfigMap.'),
    secretKeyRef: r('SecretKeySelector', 'A key of a Secret.'),
    fileKeyRef: r('FileKeySelector', 'A key of an env-style file in a volume of the pod.'),
  }),
  [CORE + 'ObjectFieldSelector']: obj('Selects a field of the object by path.', {
    apiVersion: str('Version of the schema the path is written in; defaults to "v1".'),
    fieldPath: str('Path of the field to select.'),
  }, ['fieldPath']),
  [CORE + 'ResourceFieldSelector']: obj('Selects a container resource limit or request.', {
    containerName: str('Container to read; required for volumes, optional for env vars.'),
    resource: str('Resource to select, e.g. limits.memory or requests.cpu.'),
    divisor: quantity('Unit the value is divided by before it is exposed; defaults to 1.'),
  }, ['resource']),
  [CORE + 'ConfigMapKeySelector']: obj('Selects one key of a ConfigMap.', {
    name: str('Name of the ConfigMap.'),
    key: str('The key to select.'),
    optional: bool('When true the ConfigMap or key need not exist.'),
  }, ['key']),
  [CORE + 'SecretKeySelector']: obj('Selects one key of a Secret.', {
    name: str('Name of the Secret.'),
    key: str('The key to select; must be a valid secret key.'),
    optional: bool('When true the Secret or key need not exist.'),
  }, ['key']),
  [CORE + 'FileKeySelector']: obj('Selects one key of an env-style file inside a volume of the pod.', {
    volumeName: str('Name of the volume holding the file.'),
    path: str('Path of the file inside the volume.'),
    key: str('The key to read from the file.'),
    optional: bool('When true a missing file or key leaves the variable unset instead of failing the container.'),
  }, ['volumeName', 'path', 'key']),

  [CORE + 'ResourceRequirements']: obj('Compute resource requests and limits.', {
    limits: resourceList('Maximum amount of each resource allowed, e.g. {"cpu": "500m", "memory": "128Mi"}.'),
    requests: resourceList('Minimum amount of each resource required; used for scheduling. Defaults to limits when omitted and limits are set.'),
    claims: mapList(r('ResourceClaim'), ['name'], 'Names of entries of spec.resourceClaims this container uses.'),
  }),
  [CORE + 'ResourceClaim']: obj('Reference to one resource claim of the pod.', {
    name: str('Name of an entry in spec.resourceClaims.'),
    request: str('Only this request of the claim is made available, when set.'),
  }, ['name']),
  [CORE + 'ContainerResizePolicy']: obj('In-place resize behaviour for one resource of a container.', {
    resourceName: str('The resource, e.g. cpu or memory.'),
    restartPolicy: str('NotRequired (default) or RestartContainer.'),
  }, ['resourceName', 'restartPolicy']),
  [CORE + 'ContainerRestartRule']: obj('A rule deciding whether an exited container is restarted.', {
    action: str('What to do when the rule matches; only "Restart" is defined.'),
    exitCodes: r('ContainerRestartRuleOnExitCodes', 'Exit codes the rule matches.'),
  }, ['action']),
  [CORE + 'ContainerRestartRuleOnExitCodes']: obj('Matches a container\'s exit code.', {
    operator: str('In or NotIn.'),
    values: setList(int32(), 'Exit codes to compare with (at most 255).'),
  }, ['operator']),
  [CORE + 'VolumeMount']: obj('Mounts a volume into a container.', {
    name: str('Name of the pod volume to mount.'),
    readOnly: bool('Mount read-only when true. Default false.'),
    recursiveReadOnly: str('Whether a read-only mount is made recursively read-only: Disabled (default), IfPossible or Enabled.'),
    mountPath: str('Path inside the container; must not contain ":".'),
    subPath: str('Path inside the volume to mount instead of its root.'),
    mountPropagation: str('How mounts propagate between host and container: None (default), HostToContainer or Bidirectional.'),
    subPathExpr: str('Like subPath, with $(VAR) references to container env vars expanded. Exclusive with subPath.'),
    bindMountOptions: setList(str(), 'Extra bind mount options passed to the runtime.'),
  }, ['name', 'mountPath']),
  [CORE + 'VolumeDevice']: obj('Maps a raw block device into a container.', {
    name: str('Name of a persistentVolumeClaim volume of the pod.'),
    devicePath: str('Path of the device inside the container.'),
  }, ['name', 'devicePath']),

  [CORE + 'Probe']: obj('A health check the kubelet performs against a container.', {
    ...probeHandler,
    initialDelaySeconds: int32('Seconds after container start before probes begin.'),
    timeoutSeconds: int32('Seconds after which the probe times out. Defaults to 1.'),
    periodSeconds: int32('Seconds between probes. Defaults to 10.'),
    successThreshold: int32('Consecutive successes needed after a failure to count as success. Defaults to 1; must be 1 for liveness and startup.'),
    failureThreshold: int32('Consecutive failures needed to count as failure. Defaults to 3.'),
    terminationGracePeriodSeconds: int64('Grace period used when a failed probe kills the container, overriding the pod\'s.'),
  }),
  [CORE + 'Lifecycle']: obj('Actions run on container lifecycle events.', {
    postStart: r('LifecycleHandler', 'Runs right after the container is created; a failure restarts it.'),
    preStop: r('LifecycleHandler', 'Runs before the container is stopped; the grace period keeps counting.'),
  }),
  [CORE + 'LifecycleHandler']: obj('An action of a lifecycle hook; exactly one field is set.', {
    exec: r('ExecAction', 'Run a command inside the container.'),
    httpGet: r('HTTPGetAction', 'Send an HTTP GET request.'),
    tcpSocket: r('TCPSocketAction', 'Deprecated: open a TCP connection (kept for compatibility, not supported as a hook).'),
    sleep: r('SleepAction', 'Sleep for a while.'),
  }),
  [CORE + 'ExecAction']: obj('Runs a command in the container.', {
    command: strList('Command line to run, in the container\'s working directory and not in a shell. Exit status 0 is success.'),
  }),
  [CORE + 'HTTPGetAction']: obj('An HTTP GET request made by the kubelet.', {
    path: str('Path to request.'),
    port: intOrString('Port number or name of a container port.'),
    host: str('Host to connect to; defaults to the pod IP. Set the Host header via httpHeaders instead, usually.'),
    scheme: str('HTTP (default) or HTTPS.'),
    httpHeaders: list(r('HTTPHeader'), 'Custom request headers.'),
    protocol: str('HTTP protocol version to use.'),
  }, ['port']),
  [CORE + 'HTTPHeader']: obj('One HTTP header.', {
    name: str('Header name (normalized on output).'),
    value: str('Header value.'),
  }, ['name', 'value']),
  [CORE + 'TCPSocketAction']: obj('Opens a TCP connection.', {
    port: intOrString('Port number or name of a container port.'),
    host: str('Host to connect to; defaults to the pod IP.'),
  }, ['port']),
  [CORE + 'GRPCAction']: obj('Calls the standard gRPC health service.', {
    port: int32('Port of the gRPC service (1-65535).'),
    service: str('Service name sent in the HealthCheckRequest; empty means the server as a whole.'),
    mode: str('How the gRPC health check is performed.'),
  }, ['port']),
  [CORE + 'SleepAction']: obj('Pauses for a number of seconds.', {
    seconds: int64('Seconds to sleep.'),
  }, ['seconds']),

  [CORE + 'SecurityContext']: obj('Security options of one container; where set they override the pod\'s.', {
    capabilities: r('Capabilities', 'Linux capabilities to add to or drop from the runtime default set.'),
    privileged: bool('Run privileged: like root on the host. Default false.'),
    seLinuxOptions: podSecurityShared.seLinuxOptions!,
    windowsOptions: podSecurityShared.windowsOptions!,
    runAsUser: podSecurityShared.runAsUser!,
    runAsGroup: podSecurityShared.runAsGroup!,
    runAsNonRoot: podSecurityShared.runAsNonRoot!,
    readOnlyRootFilesystem: bool('Mount the container\'s root filesystem read-only. Default false.'),
    allowPrivilegeEscalation: bool('Whether a process can gain more privileges than its parent (sets no_new_privs when false). Always true when privileged or with CAP_SYS_ADMIN.'),
    procMount: str('Kind of /proc mount: Default (masked, read-only paths) or Unmasked.'),
    seccompProfile: r('SeccompProfile', 'Seccomp profile of the container, overriding the pod\'s.'),
    appArmorProfile: r('AppArmorProfile', 'AppArmor profile of the container, overriding the pod\'s.'),
  }),
  [CORE + 'Capabilities']: obj('Linux capabilities to add and drop.', {
    add: strList('Capabilities to add, e.g. NET_ADMIN.'),
    drop: strList('Capabilities to drop, e.g. ALL.'),
  }),
  [CORE + 'SELinuxOptions']: obj('SELinux labels of a container.', {
    user: str('SELinux user label.'),
    role: str('SELinux role label.'),
    type: str('SELinux type label.'),
    level: str('SELinux level label.'),
  }),
  [CORE + 'WindowsSecurityContextOptions']: obj('Windows-specific security options.', {
    gmsaCredentialSpecName: str('Name of the GMSA credential spec to use.'),
    gmsaCredentialSpec: str('Content of the GMSA credential spec, inlined by admission.'),
    runAsUserName: str('User name that runs the entrypoint.'),
    hostProcess: bool('Run as a host process container (needs hostNetwork).'),
  }),
  [CORE + 'SeccompProfile']: obj('A seccomp profile; exactly one source is chosen by type.', {
    type: str('RuntimeDefault, Unconfined or Localhost.'),
    localhostProfile: str('Path of a profile file below the kubelet\'s seccomp directory; required for type Localhost only.'),
  }, ['type']),
  [CORE + 'AppArmorProfile']: obj('An AppArmor profile.', {
    type: str('RuntimeDefault, Unconfined or Localhost.'),
    localhostProfile: str('Name of a profile loaded on the node; required for type Localhost only.'),
  }, ['type']),
  [CORE + 'PodSecurityContext']: obj('Pod-level security attributes; some also act as defaults for every container.', {
    ...podSecurityShared,
    supplementalGroups: list(int64(), 'Extra GIDs given to the first process of each container, besides its primary GID.'),
    supplementalGroupsPolicy: str('How supplemental groups are computed: Merge (default, adds groups from /etc/group in the image) or Strict.'),
    fsGroup: int64('GID that owns volumes supporting ownership management; it is also added to every container\'s groups.'),
    sysctls: list(r('Sysctl'), 'Namespaced kernel parameters set for the pod.'),
    fsGroupChangePolicy: str('When volume ownership is changed to fsGroup: OnRootMismatch or Always (default).'),
    seccompProfile: r('SeccompProfile', 'Seccomp profile of all containers.'),
    appArmorProfile: r('AppArmorProfile', 'AppArmor profile of all containers.'),
    seLinuxChangePolicy: str('How the SELinux label is applied to volumes: Recursive or MountOption.'),
  }),
  [CORE + 'Sysctl']: obj('One kernel parameter.', {
    name: str('Name of the parameter.'),
    value: str('Value to set.'),
  }, ['name', 'value']),
  [CORE + 'LocalObjectReference']: obj('Names an object in the same namespace.', {
    name: str('Name of the referent; empty is allowed for backwards compatibility but usually an error.'),
  }),

  [CORE + 'Affinity']: obj('Affinity and anti-affinity scheduling rules of a pod.', {
    nodeAffinity: r('NodeAffinity', 'Rules on the node the pod runs on.'),
    podAffinity: r('PodAffinity', 'Rules to co-locate the pod with other pods.'),
    podAntiAffinity: r('PodAntiAffinity', 'Rules to keep the pod away from other pods.'),
  }),
  [CORE + 'NodeAffinity']: obj('Node affinity rules.', {
    requiredDuringSchedulingIgnoredDuringExecution: r('NodeSelector', 'Hard requirement at scheduling time; not re-checked afterwards.'),
    preferredDuringSchedulingIgnoredDuringExecution: list(r('PreferredSchedulingTerm'), 'Weighted preferences; nodes that match more weight score higher.'),
  }),
  [CORE + 'NodeSelector']: obj('A set of node selector terms, ORed.', {
    nodeSelectorTerms: list(r('NodeSelectorTerm'), 'The terms; a node matches when any term matches.'),
  }, ['nodeSelectorTerms']),
  [CORE + 'NodeSelectorTerm']: obj('Requirements ANDed together; an empty term matches no node.', {
    matchExpressions: list(r('NodeSelectorRequirement'), 'Requirements on node labels.'),
    matchFields: list(r('NodeSelectorRequirement'), 'Requirements on node fields (only metadata.name).'),
  }),
  [CORE + 'NodeSelectorRequirement']: obj('A requirement relating a key to values.', {
    key: str('Label key (or field name) the requirement applies to.'),
    operator: str('In, NotIn, Exists, DoesNotExist, Gt or Lt.'),
    values: strList('Values to compare with: non-empty for In/NotIn, empty for Exists/DoesNotExist, one integer for Gt/Lt.'),
  }, ['key', 'operator']),
  [CORE + 'PreferredSchedulingTerm']: obj('A weighted node selector term.', {
    weight: int32('Weight (1-100) added to the node\'s score when the term matches.'),
    preference: r('NodeSelectorTerm', 'The term to match.'),
  }, ['weight', 'preference']),
  [CORE + 'PodAffinity']: obj('Rules to place the pod near pods that match.', {
    requiredDuringSchedulingIgnoredDuringExecution: list(r('PodAffinityTerm'), 'Hard requirements at scheduling time, ANDed.'),
    preferredDuringSchedulingIgnoredDuringExecution: list(r('WeightedPodAffinityTerm'), 'Weighted preferences.'),
  }),
  [CORE + 'PodAntiAffinity']: obj('Rules to place the pod away from pods that match.', {
    requiredDuringSchedulingIgnoredDuringExecution: list(r('PodAffinityTerm'), 'Hard requirements at scheduling time, ANDed.'),
    preferredDuringSchedulingIgnoredDuringExecution: list(r('WeightedPodAffinityTerm'), 'Weighted preferences.'),
  }),
  [CORE + 'PodAffinityTerm']: obj('Pods matched by selector and namespaces, within the topology domain given by topologyKey.', {
    labelSelector: labelSelector('Selects the pods the rule relates to.'),
    namespaces: strList('Namespaces to look for matching pods in; with namespaceSelector the union is used. Empty: the pod\'s namespace.'),
    topologyKey: str('Node label key defining the domain (e.g. a zone or hostname) where matching pods count.'),
    namespaceSelector: labelSelector('Selects namespaces to look in; empty selects all.'),
    matchLabelKeys: strList('Label keys whose values are taken from the incoming pod and ANDed into labelSelector as "In" requirements.'),
    mismatchLabelKeys: strList('Label keys whose values are taken from the incoming pod and ANDed into labelSelector as "NotIn" requirements.'),
  }, ['topologyKey']),
  [CORE + 'WeightedPodAffinityTerm']: obj('A pod affinity term with a weight.', {
    weight: int32('Weight (1-100) added to the score when the term matches.'),
    podAffinityTerm: r('PodAffinityTerm', 'The term.'),
  }, ['weight', 'podAffinityTerm']),
  [CORE + 'Toleration']: obj('Lets the pod be placed on (or stay on) nodes with a matching taint.', {
    key: str('Taint key to match; empty with operator Exists matches every taint.'),
    operator: str('Exists or Equal (default). Exists matches any value.'),
    value: str('Taint value to match with Equal.'),
    effect: str('Taint effect to match: NoSchedule, PreferNoSchedule or NoExecute; empty matches all.'),
    tolerationSeconds: int64('For NoExecute: how long the pod stays bound after the taint appears. Unset: forever.'),
  }),
  [CORE + 'HostAlias']: obj('An /etc/hosts entry.', {
    ip: str('IP address of the entry.'),
    hostnames: strList('Host names for the IP.'),
  }, ['ip']),
  [CORE + 'PodDNSConfig']: obj('DNS parameters added to those generated from dnsPolicy.', {
    nameservers: strList('Name server IPs, added to the generated ones.'),
    searches: strList('DNS search domains, added to the generated ones.'),
    options: list(r('PodDNSConfigOption'), 'Resolver options; they override generated options of the same name.'),
  }),
  [CORE + 'PodDNSConfigOption']: obj('One resolver option.', {
    name: str('Option name, e.g. ndots.'),
    value: str('Option value.'),
  }),
  [CORE + 'PodReadinessGate']: obj('A pod condition that must be True for readiness.', {
    conditionType: str('Type of a condition in the pod\'s conditions list.'),
  }, ['conditionType']),
  [CORE + 'TopologySpreadConstraint']: obj('How matching pods spread across the domains of a topology key.', {
    maxSkew: int32('Largest allowed difference between the number of matching pods in any two domains (at least 1).'),
    topologyKey: str('Node label key; nodes with the same value form one domain.'),
    whenUnsatisfiable: str('DoNotSchedule (default) or ScheduleAnyway.'),
    labelSelector: labelSelector('Selects the pods counted in each domain.'),
    minDomains: int32('Minimum number of eligible domains (DoNotSchedule only).'),
    nodeAffinityPolicy: str('Whether nodeAffinity/nodeSelector restrict the domains counted: Honor (default) or Ignore.'),
    nodeTaintsPolicy: str('Whether node taints restrict the domains counted: Honor or Ignore (default).'),
    matchLabelKeys: strList('Label keys whose values are taken from the incoming pod to narrow labelSelector.'),
  }, ['maxSkew', 'topologyKey', 'whenUnsatisfiable']),
  [CORE + 'PodOS']: obj('Operating system of a pod.', {
    name: str('linux or windows.'),
  }, ['name']),
  [CORE + 'PodSchedulingGate']: obj('A gate that blocks scheduling while present.', {
    name: str('Name of the gate; unique within the pod.'),
  }, ['name']),
  [CORE + 'PodResourceClaim']: obj('A dynamic resource claim used by the pod; exactly one source is set.', {
    name: str('Name of the entry, unique within the pod, used by containers to refer to it.'),
    resourceClaimName: str('Name of an existing ResourceClaim in the pod\'s namespace.'),
    resourceClaimTemplateName: str('Name of a ResourceClaimTemplate from which a claim is created for this pod.'),
  }, ['name']),
  [CORE + 'PodSchedulingGroup']: obj('Membership of a pod in a group scheduled together.', {
    podGroupName: str('Name of the pod group.'),
  }),
  [CORE + 'EvictionResponder']: obj('A party that must respond before the pod is evicted.', {
    name: str('Name of the responder, unique within the pod.'),
    priority: int32('Order in which responders are asked.'),
  }, ['name', 'priority']),

  [CORE + 'PodStatus']: obj('Observed state of a pod. Read-only for clients; written by the node agent and controllers.', {
    observedGeneration: int64('The .metadata.generation this status was computed for.'),
    phase: str('High-level summary of the pod\'s lifecycle: Pending, Running, Succeeded, Failed or Unknown.'),
    conditions: keyedList(r('PodCondition'), 'type', 'Current service state of the pod.'),
    message: str('Human-readable reason for the pod\'s state.'),
    reason: str('Brief CamelCase reason for the pod\'s state, e.g. Evicted.'),
    nominatedNodeName: str('Node the scheduler expects to place the pod on after preemption.'),
    hostIP: str('IP of the node the pod is bound to.'),
    hostIPs: keyedList(r('HostIP'), 'ip', 'IPs of the node (one per family); the first equals hostIP.', { listType: 'atomic' }),
    podIP: str('IP address allocated to the pod.'),
    podIPs: keyedList(r('PodIP'), 'ip', 'IPs allocated to the pod (one per family); the first equals podIP.'),
    startTime: time('When the pod was acknowledged by the node agent, before its images were pulled.'),
    initContainerStatuses: list(r('ContainerStatus'), 'Status of each init container.'),
    containerStatuses: list(r('ContainerStatus'), 'Status of each container.'),
    qosClass: str('Quality of service class from the resource requirements: Guaranteed, Burstable or BestEffort.'),
    ephemeralContainerStatuses: list(r('ContainerStatus'), 'Status of each ephemeral container.'),
    resize: str('Deprecated state of an in-place resize.'),
    resourceClaimStatuses: keyedList(r('PodResourceClaimStatus'), 'name', 'Names of the ResourceClaims generated for the pod\'s claim templates.', { strategy: 'merge,retainKeys' }),
    extendedResourceClaimStatus: r('PodExtendedResourceClaimStatus', 'The claim created for extended resources backed by dynamic resource allocation.'),
    allocatedResources: resourceList('Resources allocated to the pod as a whole.'),
    resources: r('ResourceRequirements', 'Pod-level resources actually configured.'),
    nodeAllocatableResourceClaimStatuses: keyedList(r('NodeAllocatableResourceClaimStatus'), 'resourceClaimName', 'Node-allocatable resources mapped from resource claims.'),
    volumeHealth: mapList(r('PodVolumeHealth'), ['name'], 'Health reported for the pod\'s volumes.'),
  }),
  [CORE + 'PodCondition']: obj('One condition of a pod.', {
    type: str('Condition type, e.g. Ready, PodScheduled, Initialized, ContainersReady.'),
    observedGeneration: int64('The .metadata.generation the condition was set for.'),
    status: str('True, False or Unknown.'),
    lastProbeTime: time('Last time the condition was probed.'),
    lastTransitionTime: time('Last time the status changed.'),
    reason: str('CamelCase reason for the last transition.'),
    message: str('Human-readable details of the last transition.'),
  }, ['type', 'status']),
  [CORE + 'HostIP']: obj('An IP of the host.', { ip: str('The IP address.') }, ['ip']),
  [CORE + 'PodIP']: obj('An IP of the pod.', { ip: str('The IP address.') }, ['ip']),
  [CORE + 'ContainerStatus']: obj('Observed state of one container.', {
    name: str('Name of the container, as in the spec.'),
    state: r('ContainerState', 'Current state.'),
    lastState: r('ContainerState', 'State of the previous run, e.g. why it terminated.'),
    ready: bool('Whether the container passes its readiness probe (and is started).'),
    restartCount: int32('Number of times the container has been restarted.'),
    image: str('Image the container runs.'),
    imageID: str('ID of the image, e.g. its digest.'),
    containerID: str('Runtime-specific ID of the container, "<type>://<id>".'),
    started: bool('Whether the container has started and passed its startup probe.'),
    allocatedResources: resourceList('Resources the node allocated to the container.'),
    resources: r('ResourceRequirements', 'Resources actually configured for the running container.'),
    volumeMounts: keyedList(r('VolumeMountStatus'), 'mountPath', 'Status of the container\'s volume mounts.'),
    user: r('ContainerUser', 'Identity the first process runs as.'),
    allocatedResourcesStatus: keyedList(r('ResourceStatus'), 'name', 'Health of the devices allocated to the container.'),
  }, ['name', 'ready', 'restartCount', 'image', 'imageID']),
  [CORE + 'ContainerState']: obj('State of a container; at most one field is set (waiting when none).', {
    waiting: r('ContainerStateWaiting', 'Not yet running.'),
    running: r('ContainerStateRunning', 'Running.'),
    terminated: r('ContainerStateTerminated', 'Finished.'),
  }),
  [CORE + 'ContainerStateWaiting']: obj('A container waiting to run.', {
    reason: str('Why it is waiting, e.g. ContainerCreating or CrashLoopBackOff.'),
    message: str('Details.'),
  }),
  [CORE + 'ContainerStateRunning']: obj('A running container.', {
    startedAt: time('When the container last (re)started.'),
  }),
  [CORE + 'ContainerStateTerminated']: obj('A container that has exited.', {
    exitCode: int32('Exit status of the last run.'),
    signal: int32('Signal that killed the container, if any.'),
    reason: str('Why it terminated, e.g. Completed, Error or OOMKilled.'),
    message: str('Details.'),
    startedAt: time('When the run started.'),
    finishedAt: time('When the run ended.'),
    containerID: str('Runtime ID of the container, "<type>://<id>".'),
  }, ['exitCode']),
  [CORE + 'VolumeMountStatus']: obj('Status of one volume mount.', {
    name: str('Name of the volume mount.'),
    mountPath: str('Path of the mount.'),
    readOnly: bool('Whether the mount is read-only.'),
    recursiveReadOnly: str('Whether the read-only mount is recursive: Disabled or Enabled.'),
    volumeStatus: r('VolumeStatus', 'Status of the mounted volume.'),
  }, ['name', 'mountPath']),
  [CORE + 'VolumeStatus']: obj('Status of a volume by type.', {
    image: r('ImageVolumeStatus', 'Status of an image volume.'),
  }),
  [CORE + 'ImageVolumeStatus']: obj('Status of an image volume.', {
    imageRef: str('Digest of the image the volume was made from.'),
  }, ['imageRef']),
  [CORE + 'ContainerUser']: obj('Identity of a container\'s first process.', {
    linux: r('LinuxContainerUser', 'Linux UIDs and GIDs.'),
  }),
  [CORE + 'LinuxContainerUser']: obj('Linux identity of a process.', {
    uid: int64('Primary UID.'),
    gid: int64('Primary GID.'),
    supplementalGroups: list(int64(), 'Supplemental GIDs.'),
  }, ['uid', 'gid']),
  [CORE + 'ResourceStatus']: obj('Health of the devices backing one resource.', {
    name: str('Resource name, e.g. a device plugin resource or claim:<claim>/<request>.'),
    resources: mapList(r('ResourceHealth'), ['resourceID'], 'Health per device.'),
  }, ['name']),
  [CORE + 'ResourceHealth']: obj('Health of one device.', {
    resourceID: str('ID of the device.'),
    health: str('Healthy, Unhealthy or Unknown.'),
    message: str('Details about the health.'),
  }, ['resourceID']),
  [CORE + 'PodResourceClaimStatus']: obj('The ResourceClaim generated for one claim of the pod.', {
    name: str('Name of the entry in spec.resourceClaims.'),
    resourceClaimName: str('Name of the generated ResourceClaim; unset when none was needed.'),
  }, ['name']),
  [CORE + 'PodExtendedResourceClaimStatus']: obj('The claim created for extended resources.', {
    requestMappings: list(r('ContainerExtendedResourceRequest'), 'Maps container resources to requests of the claim.'),
    resourceClaimName: str('Name of the claim.'),
  }, ['requestMappings', 'resourceClaimName']),
  [CORE + 'ContainerExtendedResourceRequest']: obj('Maps one container extended resource to a claim request.', {
    containerName: str('Container name.'),
    resourceName: str('Extended resource name.'),
    requestName: str('Request name in the claim.'),
  }, ['containerName', 'resourceName', 'requestName']),
  [CORE + 'NodeAllocatableResourceClaimStatus']: obj('Node-allocatable resources backed by one claim.', {
    resourceClaimName: str('Name of the claim.'),
    containers: setList(str(), 'Containers using the claim.'),
    mapping: keyedList(r('NodeAllocatableMappedResources'), 'name', 'Mapped resources.'),
    overhead: keyedList(r('NodeAllocatableOverheadResources'), 'name', 'Overheads.'),
  }, ['resourceClaimName']),
  [CORE + 'NodeAllocatableMappedResources']: obj('An amount of one node-allocatable resource.', {
    name: str('Resource name.'),
    quantity: quantity('Amount.'),
  }, ['name', 'quantity']),
  [CORE + 'NodeAllocatableOverheadResources']: obj('Overhead of one node-allocatable resource.', {
    name: str('Resource name.'),
    perPod: quantity('Overhead per pod.'),
    perContainer: quantity('Overhead per container.'),
  }, ['name']),
  [CORE + 'PodVolumeHealth']: obj('Health of one volume of the pod.', {
    name: str('Volume name.'),
    healthConditions: keyedList(r('VolumeHealthCondition'), 'status', 'Health conditions.', { mapKeys: ['status', 'reason'] }),
    lastTransitionTime: time('Last change.'),
  }, ['name']),
  [CORE + 'VolumeHealthCondition']: obj('One health condition of a volume.', {
    status: str('Condition status.'),
    reason: str('Reason.'),
    message: str('Details.'),
  }, ['status', 'reason']),
};
