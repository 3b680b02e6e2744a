// `everynode drain NODE... | -l SELECTOR`: kubectl drain. Cordons the nodes, then for each in
// turn evicts (or, with --disable-eviction, deletes) its pods and waits until they are gone; a
// node that cannot be drained is reported and the next one is tried.
//
// Contract (kubectl's drain, its messages included):
// - Which pods: those bound to the node (spec.nodeName), optionally narrowed by --pod-selector.
//   Mirror pods are skipped. DaemonSet pods are an error unless --ignore-daemonsets (then a
//   warning and skipped: their DaemonSet would put them back), and those whose DaemonSet is gone
//   an error unless --force (then removed); pods with emptyDir volumes are
//   an error unless --delete-emptydir-data; pods with no controller are an error unless
//   --force. Succeeded and Failed pods are always removable. Any error stops the drain before
//   anything is evicted ("There are pending nodes to be drained"), exit 1.
// - Evictions go through the eviction API, so PodDisruptionBudgets hold: a 429 is retried every
//   5 s (printed), and so is a 403 NamespaceTerminating for a pod not yet being deleted (one
//   being deleted is waited for), until --timeout (0: no limit) ends the drain with "global
//   timeout reached: T". A pod already gone counts as evicted. Each evicted pod is waited for
//   (polled every second) until it is gone or replaced by another of its name. An invalid
//   --pod-selector is refused before the node is cordoned.
// - --grace-period N (>= 0) goes into the eviction's deleteOptions; --dry-run=client changes
//   nothing and prints what would happen, --dry-run=server sends dry-run requests.

import type { Command } from 'commander';
import type { KubeObject, Pod } from '../../api/types.js';
import { ApiError, daemonSetsResource, getControllerOf, hasStatusCause, isNotFound, podsResource, resourcePath } from '../client.js';

import { parseLabelSelector } from '../../api/selectors/index.js';
import { CliError } from '../context.js';
import { type CliContext, type DryRun, dryRunOption, dryRunStrategy, dryRunSuffix, parseDuration } from './common.js';
import { selectNodes, setUnschedulable } from './node.js';
import { goDuration } from '../durations.js';

interface DrainOptions {
  ignoreDaemonsets?: boolean;
  force?: boolean;
  deleteEmptydirData?: boolean;
  deleteLocalData?: boolean;
  gracePeriod: string;
  timeout: string;
  podSelector?: string;
  disableEviction?: boolean;
  dryRun?: string;
  selector?: string;
}

const EVICTION_RETRY_MS = 5000;
const DELETE_POLL_MS = 1000;

const daemonSetFatal = 'cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)';

/** The pods of a node that stop its drain (kubectl's GetPodsForDeletion errors: an aggregate to its CheckErr). */
class PodsForDeletionError extends Error {}
const daemonSetWarning = 'ignoring DaemonSet-managed Pods';
const localStorageFatal = 'cannot delete Pods with local storage (use --delete-emptydir-data to override)';
const localStorageWarning = 'deleting Pods with local storage';
const unmanagedFatal = 'cannot delete Pods that declare no controller (use --force to override)';
const unmanagedWarning = 'deleting Pods that declare no controller';

/** The pods to remove, and the warnings and errors (message -> pods) that decided it. */
export function podsForDeletion(
  pods: Pod[],
  o: { ignoreDaemonsets: boolean; deleteEmptyDirData: boolean; force: boolean; missingDaemonSets?: ReadonlySet<string> },
): { remove: Pod[]; warnings: Map<string, string[]>; errors: Map<string, string[]> } {
  const remove: Pod[] = [];
  const warnings = new Map<string, string[]>();
  const errors = new Map<string, string[]>();
  const note = (m: Map<string, string[]>, msg: string, pod: Pod): void => {
    const list = m.get(msg) ?? [];
    list.push(`${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`);
    m.set(msg, list);
  };
  for (const pod of pods) {
    const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    const owner = getControllerOf(pod);
    if (owner?.kind === 'DaemonSet' && !terminal) {
      const gone = o.missingDaemonSets?.has(`${pod.metadata.namespace ?? ''}/${owner.name}`);
      if (gone) {
        // An orphan of a deleted DaemonSet: removed with --force, else an error (kubectl's).
        const msg = `daemonsets.apps ${JSON.stringify(owner.name)} not found`;
        if (o.force) {
          note(warnings, msg, pod);
          remove.push(pod);
        } else note(errors, msg, pod);
        continue;
      }
      if (o.ignoreDaemonsets) note(warnings, daemonSetWarning, pod);
      else note(errors, daemonSetFatal, pod);
      continue;
    }
    if (pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) continue;
    // kubectl's filters in order; the first that refuses a pod decides its error.
    if (!terminal && (pod.spec.volumes ?? []).some((v) => v['emptyDir'] !== undefined)) {
      if (!o.deleteEmptyDirData) {
        note(errors, localStorageFatal, pod);
        continue;
      }
      note(warnings, localStorageWarning, pod);
    }
    if (!terminal && !owner) {
      if (!o.force) {
        note(errors, unmanagedFatal, pod);
        continue;
      }
      note(warnings, unmanagedWarning, pod);
    }
    remove.push(pod);
  }
  return { remove, warnings, errors };
}

const joinReasons = (m: Map<string, string[]>): string => [...m].map(([msg, pods]) => `${msg}: ${pods.join(', ')}`).join('; ');

export function registerDrain(program: Command, ctx: CliContext): void {
  program
    .command('drain')
    .description('Cordon nodes and evict their pods, respecting their PodDisruptionBudgets')
    .argument('[nodes...]', 'NAME... or node/NAME... (or -l)')
    .option('-l, --selector <selector>', 'the nodes this label selector matches')
    .option('--ignore-daemonsets', 'skip DaemonSet-managed pods (their DaemonSet would recreate them)')
    .option('--force', 'also remove pods that declare no controller')
    .option('--delete-emptydir-data', 'also remove pods with emptyDir volumes (their data is lost)')
    .option('--delete-local-data', 'deprecated name of --delete-emptydir-data')
    .option('--grace-period <seconds>', 'termination grace period for each pod; -1: the pod\'s own', '-1')
    .option('--timeout <duration>', 'give up after this long (0: wait for ever)', '0s')
    .option('--pod-selector <selector>', 'only pods matching this label selector')
    .option('--disable-eviction', 'delete pods instead of evicting them (bypasses PodDisruptionBudgets)')
    .addOption(dryRunOption())
    .action(async (names: string[], opts: DrainOptions, cmd: Command) => {
      const dryRun = dryRunStrategy(opts.dryRun);
      const grace = Number(opts.gracePeriod);
      if (!Number.isInteger(grace)) throw new CliError(`invalid --grace-period ${JSON.stringify(opts.gracePeriod)}: an integer number of seconds`);
      if (opts.podSelector !== undefined) {
        try {
          parseLabelSelector(opts.podSelector);
        } catch {
          throw new CliError('--pod-selector=<pod_selector> must be a valid label selector');
        }
      }
      const timeoutMs = parseDuration(opts.timeout);
      const timeout = { deadline: timeoutMs > 0 ? Date.now() + timeoutMs : Infinity, text: goDuration(timeoutMs) };
      const conn = ctx.conn(cmd);
      const nodes = await selectNodes(conn, names, opts.selector, 'drain');

      // As kubectl: every node is cordoned first (a failure is printed and the drain goes on),
      // then each is drained in turn; a node that fails is reported and the next one tried.
      for (const node of nodes) {
        try {
          await setUnschedulable(ctx, conn, node, true, dryRun);
        } catch (e) {
          ctx.err(`error: unable to cordon node ${JSON.stringify(node.metadata.name ?? '')}: ${e instanceof Error ? e.message : String(e)}\n`);
        }
      }
      const pending: string[] = [];
      const failures: { why: string; aggregate: boolean }[] = [];
      for (const node of nodes) {
        const name = node.metadata.name ?? '';
        try {
          await drainNode(ctx, conn, name, opts, { grace, dryRun, timeout });
          ctx.out(`node/${name} drained${dryRunSuffix(dryRun)}\n`);
        } catch (e) {
          const why = e instanceof Error ? e.message : String(e);
          ctx.err(`error: unable to drain node ${JSON.stringify(name)} due to error: ${why}, continuing command...\n`);
          pending.push(name);
          failures.push({ why, aggregate: e instanceof PodsForDeletionError });
        }
      }
      if (pending.length > 0) {
        ctx.err(`There are pending nodes to be drained:\n${pending.map((n) => ` ${n}\n`).join('')}`);
        // kubectl's CheckErr of the aggregate of the nodes' errors: one plain error as
        // `error: <it>`; otherwise (several, or one that is itself the aggregate of a node's
        // pods) each on its own line, without the prefix.
        if (failures.length === 1 && !failures[0]!.aggregate) throw new CliError(failures[0]!.why);
        ctx.err(failures.map((f) => `${f.why}\n`).join(''));
        ctx.exitCode = 1;
      }
    });
}

/**
 * Drains one (already cordoned) node: removes the pods the filters allow, each waited for
 * until gone. Throws the reason the node is not drained (the filters' errors, or the first
 * pods' failures joined); prints kubectl's lines on the way.
 */
async function drainNode(
  ctx: CliContext,
  conn: Conn,
  name: string,
  opts: DrainOptions,
  o: { grace: number; dryRun: DryRun; timeout: Timeout },
): Promise<void> {
  const { grace, dryRun, timeout } = o;
  const suffix = dryRunSuffix(dryRun);
  const dryRunQuery = dryRun === 'server' ? '?dryRun=All' : '';
  const list = await conn.client.list<Pod>(podsResource, { fieldSelector: `spec.nodeName=${name}`, ...(opts.podSelector ? { labelSelector: opts.podSelector } : {}) });
  // Daemon pods whose DaemonSet is gone are orphans (kubectl looks each DaemonSet up).
  const missingDaemonSets = new Set<string>();
  const owners = new Set<string>();
  for (const p of list.items) {
    const r = getControllerOf(p);
    if (r?.kind === 'DaemonSet') owners.add(`${p.metadata.namespace ?? ''}/${r.name}`);
  }
  for (const key of owners) {
    const [ns, dsName] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
    try {
      await conn.client.get(daemonSetsResource, ns, dsName);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      missingDaemonSets.add(key);
    }
  }
  const { remove, warnings, errors } = podsForDeletion(list.items, {
    ignoreDaemonsets: !!opts.ignoreDaemonsets,
    deleteEmptyDirData: !!(opts.deleteEmptydirData || opts.deleteLocalData),
    force: !!opts.force,
    missingDaemonSets,
  });
  if (errors.size > 0) throw new PodsForDeletionError(joinReasons(errors));
  if (warnings.size > 0) ctx.err(`Warning: ${joinReasons(warnings)}\n`);

  const failures: string[] = [];
  await Promise.all(
    remove.map(async (pod) => {
      const ns = pod.metadata.namespace ?? '';
      const podName = pod.metadata.name ?? '';
      try {
        if (dryRun === 'client') {
          ctx.out(`evicting pod ${ns}/${podName}${suffix}\n`); // kubectl's line, --disable-eviction or not
        } else if (opts.disableEviction) {
          await conn.client.delete(podsResource, ns, podName, { ...(grace >= 0 ? { gracePeriodSeconds: grace } : {}), ...(dryRun === 'server' ? { dryRun: ['All'] } : {}) });
        } else {
          await evict(ctx, conn, pod, grace, dryRunQuery, suffix, timeout);
        }
        // As kubectl: a dry run ends with the node's line, not one per pod.
        if (dryRun === 'none') {
          await waitGone(conn, pod, timeout);
          ctx.out(`pod/${podName} ${opts.disableEviction ? 'deleted' : 'evicted'}\n`);
        }
      } catch (e) {
        failures.push(e instanceof Error ? e.message : String(e));
      }
    }),
  );
  if (failures.length > 0) {
    const why = failures.join('; ');
    ctx.err(`There are pending pods in node ${JSON.stringify(name)} when an error occurred: ${why}\n`);
    throw new Error(why);
  }
}

type Conn = ReturnType<CliContext['conn']>;

interface Timeout {
  /** When the drain gives up (ms since the epoch; Infinity: never). */
  deadline: number;
  /** --timeout as Go prints it, for the message. */
  text: string;
}

const timedOut = (t: Timeout): Error => new Error(`global timeout reached: ${t.text}`);

/** Sleeps `ms`, or throws the drain's timeout when the deadline comes first. */
async function pause(ms: number, t: Timeout): Promise<void> {
  const left = t.deadline - Date.now();
  if (left <= 0) throw timedOut(t);
  await new Promise((r) => setTimeout(r, Math.min(ms, left)));
  if (Date.now() >= t.deadline) throw timedOut(t);
}

/**
 * One eviction, as kubectl's evictPods: "evicting pod" before each attempt; a 429 (a
 * disruption budget) is retried every 5 s; in a terminating namespace (403
 * NamespaceTerminating) the pod is waited for if it is already being deleted, else retried;
 * a pod already gone counts as evicted; until the drain's timeout.
 */
async function evict(ctx: CliContext, conn: Conn, pod: Pod, grace: number, dryRunQuery: string, suffix: string, t: Timeout): Promise<void> {
  const ns = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  const body = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns }, deleteOptions: grace >= 0 ? { gracePeriodSeconds: grace } : {} });
  for (;;) {
    ctx.out(`evicting pod ${ns}/${name}${suffix}\n`);
    try {
      await conn.raw({ method: 'POST', path: resourcePath(podsResource, ns, name, 'eviction') + dryRunQuery, body });
      return;
    } catch (e) {
      if (isNotFound(e)) return;
      if (e instanceof ApiError && e.code === 429) {
        ctx.err(`error when evicting pods/${JSON.stringify(name)} -n ${JSON.stringify(ns)} (will retry after 5s): ${e.message}\n`);
      } else if (e instanceof ApiError && e.code === 403 && hasStatusCause(e, 'NamespaceTerminating')) {
        // The namespace's deletion takes the pod anyway: wait for it once it is going.
        if (pod.metadata.deletionTimestamp) return;
        ctx.err(`error when evicting pod ${JSON.stringify(name)} from terminating namespace ${JSON.stringify(ns)} (will retry after 5s): ${e.message}\n`);
      } else {
        throw new Error(`error when evicting pods/${JSON.stringify(name)} -n ${JSON.stringify(ns)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    try {
      await pause(EVICTION_RETRY_MS, t);
    } catch (err) {
      throw new Error(`error when evicting pods/${JSON.stringify(name)} -n ${JSON.stringify(ns)}: ${err instanceof Error ? err.message : String(err)}`);
    }
    // Re-read the pod: it may be going by now (or gone).
    try {
      pod = await conn.client.get<Pod>(podsResource, ns, name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }
}

/** Waits until `pod` is gone (or its name holds another pod), polling every second, until the timeout. */
async function waitGone(conn: Conn, pod: Pod, t: Timeout): Promise<void> {
  for (;;) {
    let cur: KubeObject | undefined;
    try {
      cur = await conn.client.get(podsResource, pod.metadata.namespace ?? '', pod.metadata.name ?? '');
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (cur.metadata.uid !== pod.metadata.uid) return;
    try {
      await pause(DELETE_POLL_MS, t);
    } catch {
      // kubectl's wait ends on its context: "context deadline exceeded".
      throw new Error(`error when waiting for pod ${JSON.stringify(pod.metadata.name ?? '')} in namespace ${JSON.stringify(pod.metadata.namespace ?? '')} to terminate: context deadline exceeded`);
    }
  }
}
