// The authorizer chain the apiserver calls once per request, after authentication:
//   1. group `system:masters` → allow (the admin, as upstream's privileged group);
//   2. the Node authorizer (node.ts) → allow, or no opinion with a reason;
//   3. RBAC (rbac.ts) → allow, or deny.
// A denial carries the node authorizer's reason (if any), which `forbiddenError` appends to
// upstream's message.

import { authorizeNode, nodeNameOf, type NodeGraph } from './node.js';
import { RbacAuthorizer, SYSTEM_MASTERS, type AuthorizationAttributes, type Decision, type PolicyRule, type RbacSource } from './rbac.js';

export class Authorizer {
  private readonly rbac: RbacAuthorizer;

  constructor(private readonly deps: { rbac: RbacSource; nodeGraph?: NodeGraph }) {
    this.rbac = new RbacAuthorizer(deps.rbac);
  }

  async authorize(a: AuthorizationAttributes): Promise<Decision> {
    // Allowed with no reason by the privileged group and the Node authorizer, as upstream's.
    if (a.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    const node = await authorizeNode(a, this.deps.nodeGraph);
    if (node.decision === 'allow') return { allowed: true, reason: '' };
    const r = await this.rbac.authorize(a);
    if (r.allowed) return r;
    return { allowed: false, reason: node.reason };
  }

  /** The rules of a binding's role reference (RBAC); undefined when that role does not exist. */
  roleRefRules(ref: { kind?: string; name?: string }, bindingNamespace: string): Promise<PolicyRule[] | undefined> {
    return this.rbac.roleRefRules({ apiGroup: 'rbac.authorization.k8s.io', kind: ref.kind ?? '', name: ref.name ?? '' }, bindingNamespace);
  }

  /**
   * The rules a user holds in `namespace` (RBAC). `incomplete` when an authorizer that has no
   * rules to list also decides for the user (the Node authorizer, for nodes), as upstream says.
   */
  async rulesFor(user: string, groups: readonly string[], namespace: string): Promise<{ rules: PolicyRule[]; incomplete: boolean; evaluationError?: string }> {
    const rules = await this.rbac.rulesFor(user, groups, namespace);
    if (nodeNameOf(user, groups)) return { rules, incomplete: true, evaluationError: 'node authorizer does not support user rule resolution' };
    return { rules, incomplete: false };
  }
}
