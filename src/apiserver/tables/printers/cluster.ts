// Rows of the coordination.k8s.io, scheduling.k8s.io and rbac.authorization.k8s.io kinds.
// Role and ClusterRole have no printer upstream: they use the default Name / Created At table.

import type { TablePrinter } from '../types.js';
import { translateTimestampSince } from '../duration.js';
import { int, list, rec, str, type Obj } from '../format.js';
import { ageColumn, col, nameColumn, wide } from './columns.js';

const age = (o: Obj, now: Date): string => translateTimestampSince(rec(o['metadata'])['creationTimestamp'], now);
const nameOf = (o: Obj): string => str(rec(o['metadata'])['name']);

/** Name, Holder (spec.holderIdentity, empty when unheld), Age. */
export const leasePrinter: TablePrinter = {
  columns: [nameColumn(), col('Holder', 'string', 'The identity of the current holder of the lease.'), ageColumn()],
  cells: (l: Obj, { now }) => [nameOf(l), str(rec(l['spec'])['holderIdentity']), age(l, now)],
};

/** Name, Value, Global-Default, Age, PreemptionPolicy (empty when unset). */
export const priorityClassPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    col('Value', 'integer', 'The priority value pods of this class receive.'),
    col('Global-Default', 'boolean', 'Whether this class is the default for pods without a priorityClassName.'),
    ageColumn(),
    col('PreemptionPolicy', 'string', 'Policy for preempting pods with lower priority.'),
  ],
  cells: (pc: Obj, { now }) => [
    nameOf(pc),
    int(pc['value']),
    pc['globalDefault'] === true,
    age(pc, now),
    str(pc['preemptionPolicy']),
  ],
};

/** Users, groups and service accounts (`namespace/name`) of a binding, each joined by ", ". */
function subjectsStrings(binding: Obj): [users: string, groups: string, serviceAccounts: string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of list(binding['subjects']).map(rec)) {
    switch (s['kind']) {
      case 'ServiceAccount':
        sas.push(`${str(s['namespace'])}/${str(s['name'])}`);
        break;
      case 'User':
        users.push(str(s['name']));
        break;
      case 'Group':
        groups.push(str(s['name']));
        break;
    }
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

function bindingPrinter(what: string): TablePrinter {
  return {
    columns: [
      nameColumn(),
      col('Role', 'string', 'The role (kind/name) this binding grants.'),
      ageColumn(),
      col('Users', 'string', `Users in the ${what}`, wide),
      col('Groups', 'string', `Groups in the ${what}`, wide),
      col('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, wide),
    ],
    cells(b: Obj, { now }) {
      const roleRef = rec(b['roleRef']);
      return [nameOf(b), `${str(roleRef['kind'])}/${str(roleRef['name'])}`, age(b, now), ...subjectsStrings(b)];
    },
  };
}

/** Name, Role (`Role/x` or `ClusterRole/x`), Age; wide: Users, Groups, ServiceAccounts. */
export const roleBindingPrinter = bindingPrinter('roleBinding');
export const clusterRoleBindingPrinter = bindingPrinter('clusterRoleBinding');
