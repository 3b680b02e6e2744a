// networking.k8s.io/v1 NetworkPolicy: stored and served for the network plugin that enforces it
// (as upstream, where kube-apiserver only keeps policies and the CNI daemon acts on them).

import {
  NETWORKING,
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
};
