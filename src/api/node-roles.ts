// A Node's roles as kubectl shows them (ROLES of `get nodes`, Roles of `describe node`): the
// suffixes of its `node-role.kubernetes.io/<role>` labels and the value of a non-empty
// `kubernetes.io/role` label, de-duplicated and sorted.

const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const NODE_ROLE_LABEL = 'kubernetes.io/role';

export function nodeRoles(labels: Record<string, unknown> | undefined): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.startsWith(NODE_ROLE_PREFIX)) {
      const role = k.slice(NODE_ROLE_PREFIX.length);
      if (role !== '') roles.add(role);
    } else if (k === NODE_ROLE_LABEL && typeof v === 'string' && v !== '') {
      roles.add(v);
    }
  }
  return [...roles].sort();
}
