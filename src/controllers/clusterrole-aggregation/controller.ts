// ClusterRoleAggregationController: a ClusterRole with an `aggregationRule` holds the rules of
// every ClusterRole its selectors pick, as upstream's clusterrole-aggregation controller keeps
// them; so an operator (or a chart) extends `admin`, `edit` and `view` by creating a ClusterRole
// labelled `rbac.authorization.k8s.io/aggregate-to-edit: "true"`, and the authorizer (which reads
// only a role's own `rules`) sees the result.
//
// Contract: level-triggered on the names of aggregated ClusterRoles. Any ClusterRole added,
// changed or deleted queues every ClusterRole that has an aggregationRule (a change anywhere may
// change any aggregate). sync(name): for each selector in order, the matching ClusterRoles
// (itself excluded) sorted by name, and each of their rules in order that is not already there
// (equal as upstream's semantic equality: a missing list is an empty one) is appended. When the
// result differs from the role's `rules`, they are replaced with an update of the cached object
// (a conflict retries from a fresh cache); the rest of the role is kept. An invalid selector is
// an error, retried with back-off.

import type { LabelSelector } from '../../api/types.js';
import { labelSelectorAsSelector } from '../../api/selectors/index.js';
import type { ClusterRole, PolicyRule } from '../../auth/index.js';
import { type ApiClient, type Clock, type Informer, type SharedInformerFactory, RateLimitingQueue, clusterRolesResource, realClock, runQueueWorkers } from '../../client/index.js';

type AggregatedRole = ClusterRole & { aggregationRule?: { clusterRoleSelectors?: LabelSelector[] } };

export interface ClusterRoleAggregationOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  clock?: Clock;
  onError?: (err: unknown) => void;
}

const listKeys = ['apiGroups', 'resources', 'resourceNames', 'nonResourceURLs', 'verbs'] as const;

/** Upstream's semantic equality of two rules: the same lists, a missing list the same as an empty one. */
export function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  return listKeys.every((k) => {
    const x = (a[k] as string[] | undefined) ?? [];
    const y = (b[k] as string[] | undefined) ?? [];
    return x.length === y.length && x.every((v, i) => v === y[i]);
  });
}

/** The rules `role` aggregates from `all` (see the file comment); throws on an invalid selector. */
export function aggregatedRules(role: AggregatedRole, all: readonly ClusterRole[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const byName = [...all].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0));
  for (const sel of role.aggregationRule?.clusterRoleSelectors ?? []) {
    const selector = labelSelectorAsSelector(sel);
    for (const other of byName) {
      if (other.metadata.name === role.metadata.name || !selector.matches(other.metadata.labels)) continue;
      for (const r of other.rules ?? []) if (!out.some((x) => sameRule(x, r))) out.push(r);
    }
  }
  return out;
}

function sameRules(a: readonly PolicyRule[], b: readonly PolicyRule[]): boolean {
  return a.length === b.length && a.every((r, i) => sameRule(r, b[i]!));
}

export class ClusterRoleAggregationController {
  private readonly client: ApiClient;
  private readonly roles: Informer<AggregatedRole>;
  readonly queue: RateLimitingQueue<string>;
  private readonly onError: (err: unknown) => void;

  constructor(o: ClusterRoleAggregationOptions) {
    this.client = o.client;
    this.onError = o.onError ?? (() => {});
    this.queue = new RateLimitingQueue<string>(o.clock ?? realClock);
    this.roles = o.informers.forResource<AggregatedRole>(clusterRolesResource);
    const all = (): void => {
      for (const r of this.roles.lister.list()) if (r.aggregationRule) this.queue.add(r.metadata.name ?? '');
    };
    this.roles.addEventHandler({ add: all, update: all, delete: all });
  }

  /** Runs `workers` workers until `signal` aborts (runQueueWorkers). */
  run(signal: AbortSignal, workers = 1): Promise<void> {
    return runQueueWorkers({ queue: this.queue, caches: [this.roles], signal, workers, sync: (key) => this.sync(key), onError: this.onError });
  }

  async sync(name: string): Promise<void> {
    const role = this.roles.lister.get(name);
    if (!role?.aggregationRule) return;
    const rules = aggregatedRules(role, this.roles.lister.list());
    if (sameRules(rules, role.rules ?? [])) return;
    await this.client.update(clusterRolesResource, '', { ...role, rules } as AggregatedRole);
  }
}
