// core/v1 kinds other than Pod: Namespace, Node, Event, Service, Endpoints, ConfigMap, Secret,
// ServiceAccount, LimitRange, ResourceQuota and ReplicationController (stored, not run), with their
// nested types and list kinds.

import {
  CORE, META,
  bool, condition, bytes, int32, int64, intOrString, keyedList, list, listOf, map, microTime, obj, objectMeta, ref, resourceList, setList,
  str, strList, strMap, time, typeMeta,
  type Definitions,
} from './dsl.js';

const r = (name: string, description?: string) => ref(CORE + name, description);

export const coreOtherDefinitions: Definitions = {
  // ---- Namespace
  [CORE + 'Namespace']: obj('A scope for names; namespaced objects live in exactly one namespace.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: r('NamespaceSpec', 'Desired attributes of the namespace.'),
    status: r('NamespaceStatus', 'Observed status of the namespace. Read-only.'),
  }),
  [CORE + 'NamespaceList']: listOf(CORE + 'Namespace', 'namespaces'),
  [CORE + 'NamespaceSpec']: obj('Desired attributes of a namespace.', {
    finalizers: strList('Finalizers that must be removed before the namespace is deleted from storage.'),
  }),
  [CORE + 'NamespaceStatus']: obj('Observed status of a namespace.', {
    phase: str('Active or Terminating.'),
    conditions: keyedList(r('NamespaceCondition'), 'type', 'Latest observations of the namespace state.'),
  }),
  [CORE + 'NamespaceCondition']: condition('a namespace'),

  // ---- Node
  [CORE + 'Node']: obj('A worker machine that runs pods. Each node runs an agent that registers it and reports its status.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: r('NodeSpec', 'Desired configuration of the node.'),
    status: r('NodeStatus', 'Most recently observed status of the node. Read-only for users.'),
  }),
  [CORE + 'NodeList']: listOf(CORE + 'Node', 'nodes'),
  [CORE + 'NodeSpec']: obj('Desired configuration of a node.', {
    podCIDR: str('Pod IP range assigned to the node.'),
    podCIDRs: setList(str(), 'Pod IP ranges assigned to the node, at most one per IP family; the first equals podCIDR.', 'merge'),
    providerID: str('ID of the node given by the cloud provider, <provider>://<id>.'),
    unschedulable: bool('When true no new pods are scheduled onto the node (cordon). Default false.'),
    taints: list(r('Taint'), 'Taints of the node; pods without a matching toleration are kept off (or evicted for NoExecute).'),
    configSource: r('NodeConfigSource', 'Deprecated: dynamic kubelet configuration is no longer supported.'),
    externalID: str('Deprecated, not used.'),
    podPreemptionPolicy: r('NodePodPreemptionPolicy', 'Preemption behaviour for pods on this node.'),
  }),
  [CORE + 'Taint']: obj('Marks a node so that pods without a matching toleration are repelled.', {
    key: str('Taint key.'),
    value: str('Taint value.'),
    effect: str('NoSchedule, PreferNoSchedule or NoExecute.'),
    timeAdded: time('When a NoExecute taint was added; set by the system.'),
  }, ['key', 'effect']),
  [CORE + 'NodeConfigSource']: obj('Deprecated source of a dynamic node configuration.', {
    configMap: r('ConfigMapNodeConfigSource', 'The ConfigMap holding the configuration.'),
  }),
  [CORE + 'ConfigMapNodeConfigSource']: obj('Deprecated: a ConfigMap holding node configuration.', {
    namespace: str('Namespace of the ConfigMap.'),
    name: str('Name of the ConfigMap.'),
    uid: str('UID of the ConfigMap.'),
    resourceVersion: str('resourceVersion of the ConfigMap.'),
    kubeletConfigKey: str('Key holding the kubelet configuration.'),
  }, ['namespace', 'name', 'kubeletConfigKey']),
  [CORE + 'NodePodPreemptionPolicy']: obj('Preemption settings of a node.', {
    disableResizePreemption: setList(str(), 'Resources for which in-place resizes never preempt other pods.'),
  }),
  [CORE + 'NodeStatus']: obj('Observed status of a node.', {
    capacity: resourceList('Total resources of the node.'),
    allocatable: resourceList('Resources available to pods (capacity minus reserved); defaults to capacity.'),
    phase: str('Deprecated node lifecycle phase.'),
    conditions: keyedList(r('NodeCondition'), 'type', 'Current conditions, e.g. Ready, MemoryPressure, DiskPressure.'),
    addresses: keyedList(r('NodeAddress'), 'type', 'Addresses of the node (InternalIP, Hostname, ...).'),
    daemonEndpoints: r('NodeDaemonEndpoints', 'Endpoints of daemons on the node.'),
    nodeInfo: r('NodeSystemInfo', 'Identifiers and versions reported by the node.'),
    images: list(r('ContainerImage'), 'Images present on the node.'),
    volumesInUse: strList('Volumes mounted on the node.'),
    volumesAttached: list(r('AttachedVolume'), 'Volumes attached to the node.'),
    config: r('NodeConfigStatus', 'Deprecated status of dynamic configuration.'),
    runtimeHandlers: list(r('NodeRuntimeHandler'), 'Runtime handlers available on the node.'),
    features: r('NodeFeatures', 'Features the node supports.'),
    declaredFeatures: strList('Feature names the node declares it supports.'),
  }),
  [CORE + 'NodeCondition']: condition('a node', { lastHeartbeatTime: time('Last time the condition was reported.') }, 'Condition type, e.g. Ready.'),
  [CORE + 'NodeAddress']: obj('An address of a node.', {
    type: str('Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS.'),
    address: str('The address.'),
  }, ['type', 'address']),
  [CORE + 'NodeDaemonEndpoints']: obj('Ports of daemons running on a node.', {
    kubeletEndpoint: r('DaemonEndpoint', 'Endpoint of the node agent.'),
  }),
  [CORE + 'DaemonEndpoint']: obj('A port a daemon listens on.', {
    Port: int32('Port number.'),
  }, ['Port']),
  [CORE + 'NodeSystemInfo']: obj('Identifiers and versions of a node.', {
    machineID: str('Machine ID (from /etc/machine-id).'),
    systemUUID: str('System UUID.'),
    bootID: str('Boot ID (changes on reboot).'),
    kernelVersion: str('Kernel version (uname -r).'),
    osImage: str('OS image (from /etc/os-release).'),
    containerRuntimeVersion: str('Container runtime, <name>://<version>.'),
    kubeletVersion: str('Version of the node agent.'),
    kubeProxyVersion: str('Deprecated: version of the service proxy.'),
    operatingSystem: str('Operating system, e.g. linux.'),
    architecture: str('CPU architecture, e.g. amd64.'),
    swap: r('NodeSwapStatus', 'Swap memory of the node.'),
  }, ['machineID', 'systemUUID', 'bootID', 'kernelVersion', 'osImage', 'containerRuntimeVersion', 'kubeletVersion', 'kubeProxyVersion', 'operatingSystem', 'architecture']),
  [CORE + 'NodeSwapStatus']: obj('Swap memory of a node.', {
    capacity: int64('Total swap in bytes.'),
  }),
  [CORE + 'ContainerImage']: obj('An image present on a node.', {
    names: strList('Names (tags and digests) of the image.'),
    sizeBytes: int64('Size of the image in bytes.'),
  }),
  [CORE + 'AttachedVolume']: obj('A volume attached to a node.', {
    name: str('Name of the attached volume.'),
    devicePath: str('Where the device is available on the node.'),
  }, ['name', 'devicePath']),
  [CORE + 'NodeConfigStatus']: obj('Deprecated status of dynamic node configuration.', {
    assigned: r('NodeConfigSource', 'Assigned configuration.'),
    active: r('NodeConfigSource', 'Configuration in use.'),
    lastKnownGood: r('NodeConfigSource', 'Fallback configuration.'),
    error: str('Problem with the configuration.'),
  }),
  [CORE + 'NodeRuntimeHandler']: obj('A runtime handler available on a node.', {
    name: str('Handler name; empty for the default handler.'),
    features: r('NodeRuntimeHandlerFeatures', 'Features of the handler.'),
  }),
  [CORE + 'NodeRuntimeHandlerFeatures']: obj('Features of a runtime handler.', {
    recursiveReadOnlyMounts: bool('Supports recursive read-only mounts.'),
    userNamespaces: bool('Supports user namespaces for pods.'),
  }),
  [CORE + 'NodeFeatures']: obj('Features a node supports.', {
    supplementalGroupsPolicy: bool('Supports the supplementalGroupsPolicy field.'),
  }),

  // ---- Event
  [CORE + 'Event']: obj('A report of something that happened to an object, e.g. a pod being scheduled or a container failing.', {
    ...typeMeta(),
    metadata: objectMeta(),
    involvedObject: r('ObjectReference', 'The object the event is about.'),
    reason: str('Short CamelCase reason for the event.'),
    message: str('Human-readable description.'),
    source: r('EventSource', 'Component that reported the event; use reportingComponent in new clients.'),
    firstTimestamp: time('When the event was first recorded.'),
    lastTimestamp: time('When the most recent occurrence was recorded.'),
    count: int32('Number of occurrences.'),
    type: str('Normal or Warning.'),
    eventTime: microTime('When the event was first observed.'),
    series: r('EventSeries', 'Data about a series of repeated events.'),
    action: str('What action was taken or failed on the object.'),
    related: r('ObjectReference', 'A second object involved, if any.'),
    reportingComponent: str('Controller that emitted the event, e.g. kubernetes.io/kubelet.'),
    reportingInstance: str('ID of the controller instance, e.g. a node name.'),
  }, ['metadata', 'involvedObject']),
  [CORE + 'EventList']: listOf(CORE + 'Event', 'events'),
  [CORE + 'ObjectReference']: obj('A reference to an object, possibly to a field inside it.', {
    kind: str('Kind of the referent.'),
    namespace: str('Namespace of the referent.'),
    name: str('Name of the referent.'),
    uid: str('UID of the referent.'),
    apiVersion: str('API version of the referent.'),
    resourceVersion: str('Specific resourceVersion the reference is about.'),
    fieldPath: str('Path of a field inside the object, e.g. spec.containers{name}.'),
  }),
  [CORE + 'EventSource']: obj('Component that generated an event.', {
    component: str('Component name.'),
    host: str('Node name where the event was generated.'),
  }),
  [CORE + 'EventSeries']: obj('A series of similar events.', {
    count: int32('Occurrences in the series so far.'),
    lastObservedTime: microTime('Time of the last occurrence.'),
  }),

  // ---- Service
  [CORE + 'Service']: obj('A named abstraction of a set of pods (selected by labels) reachable through a stable address and ports.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: r('ServiceSpec', 'Desired behaviour of the service.'),
    status: r('ServiceStatus', 'Most recently observed status of the service. Read-only.'),
  }),
  [CORE + 'ServiceList']: listOf(CORE + 'Service', 'services'),
  [CORE + 'ServiceSpec']: obj('Desired behaviour of a service.', {
    ports: keyedList(r('ServicePort'), 'port', 'Ports the service exposes.', { mapKeys: ['port', 'protocol'] }),
    selector: strMap('Pods with these labels receive the service traffic. Empty or unset: endpoints are managed externally.', 'atomic'),
    clusterIP: str('Virtual IP of the service, allocated when empty; "None" makes a headless service. Cannot be changed except to/from ExternalName.'),
    clusterIPs: strList('Virtual IPs of the service, at most one per family; the first equals clusterIP.'),
    type: str('ClusterIP (default), NodePort, LoadBalancer or ExternalName.'),
    externalIPs: strList('Extra IPs on which nodes accept traffic for the service.'),
    sessionAffinity: str('ClientIP keeps a client on one endpoint; None (default) does not.'),
    loadBalancerIP: str('Deprecated: requested load balancer IP.'),
    loadBalancerSourceRanges: strList('Client CIDRs allowed through a cloud load balancer.'),
    externalName: str('DNS name the service aliases (CNAME), for type ExternalName.'),
    externalTrafficPolicy: str('How external traffic is routed: Cluster (default) or Local (node-local endpoints only, keeps the client IP).'),
    healthCheckNodePort: int32('Node port for load balancer health checks with externalTrafficPolicy Local.'),
    publishNotReadyAddresses: bool('Publish endpoints of pods that are not ready.'),
    sessionAffinityConfig: r('SessionAffinityConfig', 'Session affinity settings.'),
    ipFamilies: strList('IP families (IPv4, IPv6) of the service, in order.'),
    ipFamilyPolicy: str('SingleStack, PreferDualStack or RequireDualStack.'),
    allocateLoadBalancerNodePorts: bool('Whether node ports are allocated for LoadBalancer services. Default true.'),
    loadBalancerClass: str('Load balancer implementation to use.'),
    internalTrafficPolicy: str('How cluster-internal traffic is routed: Cluster (default) or Local.'),
    trafficDistribution: str('Preference for routing traffic, e.g. PreferClose.'),
  }),
  [CORE + 'ServicePort']: obj('A port of a service.', {
    name: str('Name of the port, required and unique when there are several ports.'),
    protocol: str('TCP (default), UDP or SCTP.'),
    appProtocol: str('Application protocol, e.g. http or kubernetes.io/h2c.'),
    port: int32('Port exposed by the service.'),
    targetPort: intOrString('Port number or named container port on the pods; defaults to port.'),
    nodePort: int32('Port on each node for NodePort and LoadBalancer services; allocated when unset.'),
  }, ['port']),
  [CORE + 'SessionAffinityConfig']: obj('Session affinity settings.', {
    clientIP: r('ClientIPConfig', 'ClientIP affinity settings.'),
  }),
  [CORE + 'ClientIPConfig']: obj('ClientIP affinity settings.', {
    timeoutSeconds: int32('Seconds a client sticks to an endpoint (1-86400, default 10800).'),
  }),
  [CORE + 'ServiceStatus']: obj('Observed status of a service.', {
    loadBalancer: r('LoadBalancerStatus', 'The load balancer, if any.'),
    conditions: keyedList(ref(META + 'Condition'), 'type', 'Current conditions of the service.'),
  }),
  [CORE + 'LoadBalancerStatus']: obj('Status of a load balancer.', {
    ingress: list(r('LoadBalancerIngress'), 'Ingress points of the load balancer.'),
  }),
  [CORE + 'LoadBalancerIngress']: obj('An ingress point of a load balancer.', {
    ip: str('IP of the ingress point.'),
    hostname: str('DNS name of the ingress point.'),
    ipMode: str('VIP or Proxy.'),
    ports: list(r('PortStatus'), 'Status of the service ports.'),
  }),
  [CORE + 'PortStatus']: obj('Status of a service port.', {
    port: int32('Port number.'),
    protocol: str('TCP, UDP or SCTP.'),
    error: str('Problem with the port, in CamelCase.'),
  }, ['port', 'protocol']),

  // ---- Endpoints
  [CORE + 'Endpoints']: obj('The network endpoints (IP and port sets) that implement a service.', {
    ...typeMeta(),
    metadata: objectMeta(),
    subsets: list(r('EndpointSubset'), 'Groups of addresses sharing the same ports.'),
  }),
  [CORE + 'EndpointsList']: listOf(CORE + 'Endpoints', 'endpoints'),
  [CORE + 'EndpointSubset']: obj('Addresses that share a set of ports.', {
    addresses: list(r('EndpointAddress'), 'Ready addresses.'),
    notReadyAddresses: list(r('EndpointAddress'), 'Addresses not ready yet.'),
    ports: list(r('EndpointPort'), 'Ports of the addresses.'),
  }),
  [CORE + 'EndpointAddress']: obj('One endpoint address.', {
    ip: str('IP of the endpoint.'),
    hostname: str('Hostname of the endpoint.'),
    nodeName: str('Node hosting the endpoint.'),
    targetRef: r('ObjectReference', 'Object providing the endpoint, usually a pod.'),
  }, ['ip']),
  [CORE + 'EndpointPort']: obj('One endpoint port.', {
    name: str('Name of the port, as in the service.'),
    port: int32('Port number.'),
    protocol: str('TCP (default), UDP or SCTP.'),
    appProtocol: str('Application protocol of the port.'),
  }, ['port']),

  // ---- ConfigMap, Secret, ServiceAccount
  [CORE + 'ConfigMap']: obj('Non-confidential configuration data as key/value pairs.', {
    ...typeMeta(),
    metadata: objectMeta(),
    immutable: bool('When true, data and binaryData cannot be changed (only the object deleted).'),
    data: strMap('UTF-8 configuration data. Keys must consist of alphanumerics, "-", "_" or ".".'),
    binaryData: map(bytes(), 'Binary configuration data, base64-encoded in JSON. Keys must not also appear in data.'),
  }),
  [CORE + 'ConfigMapList']: listOf(CORE + 'ConfigMap', 'config maps'),
  // ---- LimitRange
  [CORE + 'LimitRange']: obj('Resource bounds and defaults for the pods (and claims) of its namespace, applied when they are created.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: r('LimitRangeSpec', 'The limits.'),
  }),
  [CORE + 'LimitRangeList']: listOf(CORE + 'LimitRange', 'limit ranges'),
  [CORE + 'LimitRangeSpec']: obj('The limits of a LimitRange.', {
    limits: list(r('LimitRangeItem'), 'One item per kind of object limited.'),
  }, ['limits']),
  [CORE + 'LimitRangeItem']: obj('Bounds and defaults for one type of object: Pod, Container or PersistentVolumeClaim.', {
    type: str('Pod, Container or PersistentVolumeClaim.'),
    max: resourceList('The most of each resource an object may use (its limit).'),
    min: resourceList('The least of each resource an object must ask for (its request).'),
    default: resourceList('Limits given to a container that sets none (Container only; default: max).'),
    defaultRequest: resourceList('Requests given to a container that sets none (Container only; default: the default limit, then min).'),
    maxLimitRequestRatio: resourceList('The largest limit/request ratio allowed per resource.'),
  }, ['type']),
  // ---- ResourceQuota
  [CORE + 'ResourceQuota']: obj('Limits on what the objects of its namespace may use in total, enforced when they are created.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: r('ResourceQuotaSpec', 'The limits and the objects they apply to.'),
    status: r('ResourceQuotaStatus', 'The limits in force and what is used of them. Written by the server.'),
  }),
  [CORE + 'ResourceQuotaList']: listOf(CORE + 'ResourceQuota', 'resource quotas'),
  [CORE + 'ResourceQuotaSpec']: obj('The limits of a ResourceQuota.', {
    hard: resourceList('The most of each named resource the namespace may use.'),
    scopes: strList('Filters every object counted must match: Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass or CrossNamespacePodAffinity.'),
    scopeSelector: r('ScopeSelector', 'More filters, as expressions over scopes; every one must match.'),
  }),
  [CORE + 'ScopeSelector']: obj('Expressions over quota scopes, all of which must match.', {
    matchExpressions: list(r('ScopedResourceSelectorRequirement'), 'The expressions.'),
  }),
  [CORE + 'ScopedResourceSelectorRequirement']: obj('One expression over a quota scope.', {
    scopeName: str('The scope the expression is about.'),
    operator: str('In, NotIn, Exists or DoesNotExist.'),
    values: strList('The values for In and NotIn; none for Exists and DoesNotExist.'),
  }, ['scopeName', 'operator']),
  [CORE + 'ResourceQuotaStatus']: obj('What a ResourceQuota enforces and how much of it is used.', {
    hard: resourceList('The limits in force.'),
    used: resourceList('What the objects of the namespace use now, per limited resource.'),
  }),
  [CORE + 'Secret']: obj('Confidential data such as passwords, tokens or keys.', {
    ...typeMeta(),
    metadata: objectMeta(),
    immutable: bool('When true, data cannot be changed (only the object deleted).'),
    data: map(bytes(), 'Secret data; values are base64-encoded in JSON.'),
    stringData: strMap('Write-only convenience: plain string values merged into data on write (overriding it); never returned.'),
    type: str('Type of the secret, for programmatic handling, e.g. Opaque (default) or kubernetes.io/tls.'),
  }),
  [CORE + 'SecretList']: listOf(CORE + 'Secret', 'secrets'),
  [CORE + 'ServiceAccount']: obj('An identity for processes running in pods, with its API credentials.', {
    ...typeMeta(),
    metadata: objectMeta(),
    secrets: keyedList(r('ObjectReference'), 'name', 'Deprecated: Secrets that pods of this account may use.'),
    imagePullSecrets: list(r('LocalObjectReference'), 'Registry credentials added to every pod that uses this account.'),
    automountServiceAccountToken: bool('Whether pods of this account get an API token mounted automatically; a pod setting wins.'),
  }),
  [CORE + 'ServiceAccountList']: listOf(CORE + 'ServiceAccount', 'service accounts'),

  // ---- ReplicationController (stored and served, not run, as apps/v1 ReplicaSet)
  [CORE + 'ReplicationController']: obj('Keeps a number of replicated pods; the older form of a replica set (everynode stores ReplicationControllers but does not run them).', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: r('ReplicationControllerSpec', 'Desired behaviour of the replication controller.'),
    status: r('ReplicationControllerStatus', 'Most recently observed status of the replication controller. Read-only.'),
  }),
  [CORE + 'ReplicationControllerList']: listOf(CORE + 'ReplicationController', 'replication controllers'),
  [CORE + 'ReplicationControllerSpec']: obj('Desired behaviour of a replication controller.', {
    replicas: int32('Number of desired pods. Default 1.'),
    minReadySeconds: int32('Seconds a new pod must be ready before it counts as available. Default 0.'),
    selector: strMap('Labels the owned pods carry; defaults to the template labels. Must match them.', 'atomic'),
    template: r('PodTemplateSpec', 'Template of the pods. Its restartPolicy must be Always.'),
  }),
  [CORE + 'ReplicationControllerStatus']: obj('Observed status of a replication controller.', {
    replicas: int32('Most recently observed number of pods.'),
    fullyLabeledReplicas: int32('Pods whose labels match the template labels.'),
    readyReplicas: int32('Pods that are ready.'),
    availableReplicas: int32('Pods available for at least minReadySeconds.'),
    observedGeneration: int64('Most recent generation observed.'),
    conditions: keyedList(r('ReplicationControllerCondition'), 'type', 'Latest observations of the replication controller state.'),
  }, ['replicas']),
  [CORE + 'ReplicationControllerCondition']: condition('a replication controller'),
};
