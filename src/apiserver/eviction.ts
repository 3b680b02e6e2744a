// `POST /api/v1/namespaces/NS/pods/NAME/eviction`: the eviction API (policy/v1 Eviction), what
// `kubectl drain` and node-draining tools use to delete a pod only if its PodDisruptionBudget
// allows it. Restated from upstream's pod eviction REST storage.
//
// Contract:
// - The body is an Eviction (policy/v1 or v1beta1) naming the pod of the path (400 otherwise),
//   with optional deleteOptions used for the pod's deletion; dryRun may come from the query or
//   the body (kubectl drain --dry-run=server sends it in the body). The request is admitted
//   (NodeRestriction) as the `create` of pods/eviction against the pod; in a terminating
//   namespace it is 403 with the NamespaceTerminating cause, as every create there.
// - A pod that is Pending, Succeeded, Failed or already being deleted is deleted without looking
//   at budgets. Otherwise the budgets of its namespace that cover it decide:
//   - none: the pod is deleted;
//   - more than one: 500, as upstream (the eviction API does not support overlapping budgets);
//   - a not-Ready pod is deleted without using the budget when the budget's
//     unhealthyPodEvictionPolicy is AlwaysAllow, or (IfHealthyBudget, the default) when the
//     budget is met (currentHealthy >= desiredHealthy > 0), on condition that the pod has not
//     changed since it was read (a 429 otherwise, so the client retries);
//   - else the budget must allow a disruption: its status must have observed its generation
//     (429 "still being processed", Retry-After 10), disruptionsAllowed must be above 0 (429
//     naming the healthy pods it needs and has), and then disruptionsAllowed is decremented and
//     the pod recorded in status.disruptedPods (retried on write conflicts, up to 20 times; then
//     504). Negative disruptionsAllowed or over 2,000 unconfirmed evictions: 403.
// - Before the deletion the pod gets the condition DisruptionTarget=True
//   (EvictionByEvictionAPI). Dry runs change nothing. Success is 201 with a Success Status.

import { ApiError, badRequest, conflict, forbidden } from '../api/errors.js';
import { budgetCoversPod, podIsReady, withDisruptionAllowedCondition } from '../api/disruption.js';
import type { KindDef, KindRegistry } from '../api/kinds.js';
import type { Pod, PodCondition, PodDisruptionBudget } from '../api/types.js';
import { rfc3339 } from '../util/index.js';
import { parseDeleteOptions, parseListQuery, type ParsedDeleteOptions, type WriteQuery } from './query.js';
import type { AdmitFn, RestRegistry } from './registry.js';
import { checkTypeMeta } from './http.js';

/** Upstream's cap on status.disruptedPods: evictions the disruption controller has not confirmed yet. */
const MAX_DISRUPTED_PODS = 2000;
/** Upstream retries conflicting budget writes 20 times. */
const MAX_ATTEMPTS = 20;

export interface EvictionDeps {
  registry: RestRegistry;
  kinds: KindRegistry;
  now: () => number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isConflict = (err: unknown): boolean => err instanceof ApiError && err.code === 409;
const okStatus = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });

function tooManyRequests(message: string, retryAfterSeconds: number, cause: string): ApiError {
  return new ApiError(429, 'TooManyRequests', message, {
    ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}),
    causes: [{ reason: 'DisruptionBudget', message: cause }],
  });
}

const stillProcessing = (pdbName: string): ApiError =>
  tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10, `The disruption budget ${pdbName} is still being processed by the server.`);

const budgetForbidden = (pdbName: string, why: string): ApiError =>
  forbidden(`poddisruptionbudget.policy "${pdbName}" is forbidden: ${why}`, { group: 'policy', resource: 'poddisruptionbudget', kind: 'PodDisruptionBudget' }, pdbName);

function kindOf(deps: EvictionDeps, group: string, plural: string): KindDef {
  const k = deps.kinds.byResource(group, 'v1', plural);
  if (!k) throw new Error(`eviction: ${plural} not served`);
  return k;
}

/** The deleteOptions of an Eviction body with the request's dryRun, as upstream's propagateDryRun. */
function deleteOptionsOf(body: Record<string, unknown>, q: WriteQuery): ParsedDeleteOptions {
  const raw = body.deleteOptions;
  const opts = parseDeleteOptions(new URLSearchParams(), raw === null ? undefined : raw);
  // Either place may ask for a dry run (the only value is All, so they cannot disagree).
  return { ...opts, dryRun: q.dryRun || opts.dryRun };
}

/** Terminal, Pending or terminating pods are deleted without consulting budgets (upstream canIgnorePDB). */
function canIgnoreBudget(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp;
}

/** Whether the deletion must not race a change of the pod (everything but terminal or terminating pods). */
function enforceResourceVersion(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return !(phase === 'Succeeded' || phase === 'Failed' || pod.metadata.deletionTimestamp);
}

function withResourceVersion(opts: ParsedDeleteOptions, rv: string | undefined): ParsedDeleteOptions {
  return { ...opts, preconditions: { ...opts.preconditions, ...(rv !== undefined ? { resourceVersion: rv } : {}) } };
}

class Eviction {
  private readonly pods: KindDef;
  private readonly budgets: KindDef;

  constructor(
    private readonly deps: EvictionDeps,
    private readonly namespace: string,
    private readonly name: string,
  ) {
    this.pods = kindOf(deps, '', 'pods');
    this.budgets = kindOf(deps, 'policy', 'poddisruptionbudgets');
  }

  async getPod(): Promise<Pod> {
    return JSON.parse(await this.deps.registry.get(this.pods, this.namespace, this.name)) as Pod;
  }

  /**
   * Marks the pod DisruptionTarget (on its latest version, checking the preconditions against
   * it) and deletes it. A resourceVersion precondition moves to the version the mark wrote.
   */
  async markAndDelete(opts: ParsedDeleteOptions): Promise<void> {
    let del = opts;
    if (!opts.dryRun) {
      for (let attempt = 1; ; attempt++) {
        const latest = await this.getPod();
        const pre = opts.preconditions;
        const ref = { group: '', resource: 'Pod', kind: 'Pod' };
        if (pre?.uid && pre.uid !== latest.metadata.uid) {
          throw conflict(ref, this.name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${latest.metadata.uid ?? ''}). The object might have been deleted and then recreated`);
        }
        if (pre?.resourceVersion && pre.resourceVersion !== latest.metadata.resourceVersion) {
          throw conflict(ref, this.name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${latest.metadata.resourceVersion ?? ''}). The object might have been modified`);
        }
        const cond: PodCondition = { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: rfc3339(this.deps.now()) };
        const conditions = latest.status?.conditions ?? [];
        const old = conditions.find((c) => c.type === 'DisruptionTarget');
        const next: PodCondition = old && old.status === 'True' ? { ...cond, lastTransitionTime: old.lastTransitionTime ?? cond.lastTransitionTime } : cond;
        const marked: Pod = { ...latest, status: { ...latest.status, conditions: old ? conditions.map((c) => (c === old ? next : c)) : [...conditions, next] } };
        try {
          const r = await this.deps.registry.update(this.pods, this.namespace, this.name, 'status', marked, { dryRun: false, fieldManager: 'everynode-eviction', fieldValidation: 'Ignore', force: false });
          if (pre?.resourceVersion) del = withResourceVersion(opts, (JSON.parse(r.json) as Pod).metadata.resourceVersion);
          break;
        } catch (err) {
          if (isConflict(err) && attempt < MAX_ATTEMPTS) continue; // a concurrent status write: mark the newer pod
          throw err;
        }
      }
    }
    await this.deps.registry.delete(this.pods, this.namespace, this.name, del);
  }

  async coveringBudgets(pod: Pod): Promise<PodDisruptionBudget[]> {
    const page = await this.deps.registry.list(this.budgets, this.namespace, parseListQuery(new URLSearchParams()));
    return page.items.map((j) => JSON.parse(j) as PodDisruptionBudget).filter((b) => budgetCoversPod(b, pod));
  }

  /** Uses one disruption of `pdb` for the pod, or throws why not (upstream checkAndDecrement). */
  async checkAndDecrement(pdb: PodDisruptionBudget, dryRun: boolean): Promise<void> {
    const name = pdb.metadata.name ?? '';
    const s = pdb.status ?? { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
    if ((s.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) throw stillProcessing(name);
    if (s.disruptionsAllowed < 0) throw budgetForbidden(name, 'pdb disruptions allowed is negative');
    if (Object.keys(s.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) throw budgetForbidden(name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
    if (s.disruptionsAllowed === 0) {
      throw tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0, `The disruption budget ${name} needs ${s.desiredHealthy} healthy pods and has ${s.currentHealthy} currently`);
    }
    const now = rfc3339(this.deps.now());
    let status = { ...s, disruptionsAllowed: s.disruptionsAllowed - 1 };
    if (status.disruptionsAllowed === 0) status = withDisruptionAllowedCondition(status, now);
    if (dryRun) return;
    status.disruptedPods = { ...s.disruptedPods, [this.name]: now };
    await this.deps.registry.update(this.budgets, this.namespace, name, 'status', { ...pdb, status }, { dryRun: false, fieldManager: 'everynode-eviction', fieldValidation: 'Ignore', force: false });
  }

  async run(opts: ParsedDeleteOptions, admit: AdmitFn | undefined): Promise<{ code: number; json: string }> {
    const callerRv = opts.preconditions?.resourceVersion;
    // An eviction is a create: none in a terminating namespace (kubectl drain knows the cause),
    // decided before the pod is looked up, as namespace admission runs before the store.
    await this.deps.registry.ensureNamespace(this.namespace, { group: '', resource: 'pods', kind: 'Pod' }, this.name);
    let pod = await this.getPod();
    await admit?.(undefined, pod);

    // Pods a budget does not protect: deleted as they are (retried when the pod changes under us,
    // unless the caller named the version it meant).
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) pod = await this.getPod();
      if (!canIgnoreBudget(pod)) break;
      const del = enforceResourceVersion(pod) && callerRv === undefined ? withResourceVersion(opts, pod.metadata.resourceVersion) : opts;
      try {
        await this.markAndDelete(del);
        return { code: 201, json: okStatus };
      } catch (err) {
        if (isConflict(err) && callerRv === undefined && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
    }

    const budgets = await this.coveringBudgets(pod);
    if (budgets.length > 1) {
      // Upstream answers a Failure Status with code 500 (not an internal error: a refusal).
      return { code: 500, json: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', code: 500 }) };
    }
    let pdb = budgets[0];
    let unhealthyDelete = false;
    if (pdb) {
      const s = pdb.status;
      if (!podIsReady(pod)) {
        if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') unhealthyDelete = true;
        else if (s && s.currentHealthy >= s.desiredHealthy && s.desiredHealthy > 0) unhealthyDelete = true;
      }
      if (!unhealthyDelete) {
        for (let attempt = 1; ; attempt++) {
          try {
            await this.checkAndDecrement(pdb, opts.dryRun);
            break;
          } catch (err) {
            if (!isConflict(err)) throw err;
            if (attempt >= MAX_ATTEMPTS) {
              throw new ApiError(504, 'Timeout', `Timeout: couldn't update PodDisruptionBudget "${pdb.metadata.name ?? ''}" due to conflicts`, { retryAfterSeconds: 10 });
            }
            pdb = JSON.parse(await this.deps.registry.get(this.budgets, this.namespace, pdb.metadata.name ?? '')) as PodDisruptionBudget;
          }
        }
      }
    }

    // The unhealthy pod must still be the one the decision was made on (it may have turned Ready).
    const del = unhealthyDelete ? withResourceVersion(opts, pod.metadata.resourceVersion) : opts;
    try {
      await this.markAndDelete(del);
    } catch (err) {
      if (isConflict(err) && unhealthyDelete && callerRv === undefined) throw stillProcessing(pdb?.metadata.name ?? '');
      throw err;
    }
    return { code: 201, json: okStatus };
  }
}

/** Answers one eviction of pod `name` in `namespace`: the status code and Status JSON to send. */
export async function serveEviction(
  deps: EvictionDeps,
  namespace: string,
  name: string,
  body: unknown,
  q: WriteQuery,
  admit: AdmitFn | undefined,
): Promise<{ code: number; json: string }> {
  if (!isObj(body)) throw badRequest('Eviction in version "v1" cannot be handled as a Eviction: the body must be a JSON object');
  checkTypeMeta(body, 'policy/v1', 'Eviction', ['policy/v1beta1']);
  const meta = isObj(body.metadata) ? body.metadata : {};
  if (meta.name !== name) throw badRequest('name in URL does not match name in Eviction object');
  if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (body.deleteOptions !== undefined && body.deleteOptions !== null && !isObj(body.deleteOptions)) throw badRequest('Eviction.deleteOptions must be an object');
  return new Eviction(deps, namespace, name).run(deleteOptionsOf(body, q), admit);
}
