// networking.k8s.io/v1 NetworkPolicy, Ingress and IngressClass: stored and served for the daemons
// that act on them (as upstream, where kube-apiserver only keeps them: the CNI daemon enforces
// policies, the ingress controller routes by ingresses).

import {
  CORE, NETWORKING,
  int32, intOrString, labelSelector, list, listOf, obj, objectMeta, ref, str, strList, typeMeta,
  type Definitions,
} from './dsl.js';

export const networkingDefinitions: Definitions = {
  [NETWORKING + 'NetworkPolicy']: obj('Which network traffic is allowed to and from a set of pods.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: ref(NETWORKING + 'NetworkPolicySpec', 'The desired policy.'),
  }),
  [NETWORKING + 'NetworkPolicyList']: listOf(NETWORKING + 'NetworkPolicy', 'network policies'),
  [NETWORKING + 'NetworkPolicySpec']: obj('The pods a policy selects and the traffic it allows them.', {
    podSelector: labelSelector('The pods of the namespace the policy applies to; an empty selector selects all of them.'),
    ingress: list(ref(NETWORKING + 'NetworkPolicyIngressRule'), 'Traffic allowed into the selected pods (with Ingress among policyTypes); none: no incoming traffic.'),
    egress: list(ref(NETWORKING + 'NetworkPolicyEgressRule'), 'Traffic allowed out of the selected pods (with Egress among policyTypes); none: no outgoing traffic.'),
    policyTypes: strList('Ingress, Egress or both. Default: Ingress, plus Egress when egress rules are given.'),
  }),
  [NETWORKING + 'NetworkPolicyIngressRule']: obj('Incoming traffic a policy allows: from any of `from`, to any of `ports`.', {
    ports: list(ref(NETWORKING + 'NetworkPolicyPort'), 'Ports traffic may reach; empty or absent: every port.'),
    from: list(ref(NETWORKING + 'NetworkPolicyPeer'), 'Sources traffic may come from; empty or absent: every source.'),
  }),
  [NETWORKING + 'NetworkPolicyEgressRule']: obj('Outgoing traffic a policy allows: to any of `to`, on any of `ports`.', {
    ports: list(ref(NETWORKING + 'NetworkPolicyPort'), 'Destination ports; empty or absent: every port.'),
    to: list(ref(NETWORKING + 'NetworkPolicyPeer'), 'Destinations; empty or absent: every destination.'),
  }),
  [NETWORKING + 'NetworkPolicyPeer']: obj('A source or destination: pods by selectors, or an IP block.', {
    podSelector: labelSelector('Pods, in the policy\'s namespace or in those namespaceSelector picks.'),
    namespaceSelector: labelSelector('Namespaces whose pods (or those podSelector picks) are meant.'),
    ipBlock: ref(NETWORKING + 'IPBlock', 'A CIDR range; may not be combined with the selectors.'),
  }),
  [NETWORKING + 'NetworkPolicyPort']: obj('A port, or a range of ports, and a protocol.', {
    protocol: str('TCP (default), UDP or SCTP.'),
    port: intOrString('A port number or a named port of the pods; absent: every port.'),
    endPort: int32('With a numeric port: the last port of the range that starts there.'),
  }),
  [NETWORKING + 'IPBlock']: obj('A CIDR range and the ranges inside it that are left out.', {
    cidr: str('The range, e.g. 192.168.1.0/24 or 2001:db8::/64.'),
    except: strList('Ranges inside cidr that are not part of the block.'),
  }, ['cidr']),
  [NETWORKING + 'Ingress']: obj('A collection of rules by which HTTP traffic from outside the cluster reaches Services; an ingress controller acts on it.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: ref(NETWORKING + 'IngressSpec', 'The desired routing.'),
    status: ref(NETWORKING + 'IngressStatus', 'The addresses the controller serves the ingress at; written through /status.'),
  }),
  [NETWORKING + 'IngressList']: listOf(NETWORKING + 'Ingress', 'ingresses'),
  [NETWORKING + 'IngressSpec']: obj('How requests are routed: by host and path to backends, with TLS for some hosts.', {
    ingressClassName: str('The IngressClass of the controller that serves this ingress; absent: the default class, given at creation when one is marked.'),
    defaultBackend: ref(NETWORKING + 'IngressBackend', 'Where requests that match no rule go.'),
    tls: list(ref(NETWORKING + 'IngressTLS'), 'TLS for hosts, with the Secret that holds the certificate.'),
    rules: list(ref(NETWORKING + 'IngressRule'), 'Host rules; a request matching none goes to defaultBackend.'),
  }),
  [NETWORKING + 'IngressTLS']: obj('TLS for a set of hosts.', {
    hosts: strList('Hosts the certificate covers (wildcards like *.example.com allowed).'),
    secretName: str('The Secret, in the ingress\'s namespace, that holds the certificate and key.'),
  }),
  [NETWORKING + 'IngressRule']: obj('Requests for a host (all hosts when absent) and where their paths go.', {
    host: str('A DNS name, not an IP, optionally with a leading wildcard label (*.example.com).'),
    http: ref(NETWORKING + 'HTTPIngressRuleValue', 'The paths of the host and their backends.'),
  }),
  [NETWORKING + 'HTTPIngressRuleValue']: obj('HTTP paths and their backends.', {
    paths: list(ref(NETWORKING + 'HTTPIngressPath'), 'The paths; at least one.'),
  }, ['paths']),
  [NETWORKING + 'HTTPIngressPath']: obj('A path and the backend its requests go to.', {
    path: str('The path, starting with /.'),
    pathType: str('How the path matches: Exact, Prefix (by path elements) or ImplementationSpecific.'),
    backend: ref(NETWORKING + 'IngressBackend', 'Where matching requests go.'),
  }, ['pathType', 'backend']),
  [NETWORKING + 'IngressBackend']: obj('A Service port, or another resource, requests are sent to.', {
    service: ref(NETWORKING + 'IngressServiceBackend', 'A Service in the ingress\'s namespace; not with resource.'),
    resource: ref(CORE + 'TypedLocalObjectReference', 'Another object in the ingress\'s namespace; not with service.'),
  }),
  [NETWORKING + 'IngressServiceBackend']: obj('A Service and one of its ports.', {
    name: str('The Service\'s name.'),
    port: ref(NETWORKING + 'ServiceBackendPort', 'The port, by name or number.'),
  }, ['name']),
  [NETWORKING + 'ServiceBackendPort']: obj('A Service port by name or by number (not both).', {
    name: str('The port\'s name.'),
    number: int32('The port\'s number.'),
  }),
  [NETWORKING + 'IngressStatus']: obj('The observed state of an ingress.', {
    loadBalancer: ref(NETWORKING + 'IngressLoadBalancerStatus', 'Where the ingress is served.'),
  }),
  [NETWORKING + 'IngressLoadBalancerStatus']: obj('The addresses of the load balancer.', {
    ingress: list(ref(NETWORKING + 'IngressLoadBalancerIngress'), 'Its ingress points.'),
  }),
  [NETWORKING + 'IngressLoadBalancerIngress']: obj('An ingress point: an IP or a hostname.', {
    ip: str('An IP address.'),
    hostname: str('A DNS name.'),
    ports: list(ref(NETWORKING + 'IngressPortStatus'), 'Its ports.'),
  }),
  [NETWORKING + 'IngressPortStatus']: obj('A port of an ingress point, and its error.', {
    port: int32('The port number.'),
    protocol: str('TCP, UDP or SCTP.'),
    error: str('Why the port is not served, as a CamelCase reason or domain-prefixed reason.'),
  }, ['port', 'protocol']),
  [NETWORKING + 'IngressClass']: obj('A class of ingresses and the controller that serves them. The annotation ingressclass.kubernetes.io/is-default-class: "true" makes it the class of new ingresses that name none.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: ref(NETWORKING + 'IngressClassSpec', 'The class\'s controller and parameters.'),
  }),
  [NETWORKING + 'IngressClassList']: listOf(NETWORKING + 'IngressClass', 'ingress classes'),
  [NETWORKING + 'IngressClassSpec']: obj('The controller of a class, and where its parameters are.', {
    controller: str('The controller\'s name, a domain-prefixed path such as example.com/ingress-controller; cannot change.'),
    parameters: ref(NETWORKING + 'IngressClassParametersReference', 'An object with the controller\'s settings for the class.'),
  }),
  [NETWORKING + 'IngressClassParametersReference']: obj('An object holding an ingress class\'s parameters.', {
    apiGroup: str('Its API group; absent: the core group.'),
    kind: str('Its kind.'),
    name: str('Its name.'),
    scope: str('Cluster (default) or Namespace.'),
    namespace: str('Its namespace, with scope Namespace.'),
  }, ['kind', 'name']),
};
