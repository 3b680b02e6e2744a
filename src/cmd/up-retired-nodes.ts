// The nodes an earlier `everynode up` on the same data dir ran and this one does not: started
// again with fewer `--nodes` or `--hollow-nodes`, `up` deletes their Nodes, so the cluster
// shows the nodes it runs, not ones that go NotReady and stay (their pods are then removed by
// the pod garbage collector, as for any deleted Node).
//
// Contract: only Nodes this data dir's `up` made are touched, on evidence kept in the data dir:
//   - local node-K (K > --nodes): its directory `nodes/node-K` exists and the Node's InternalIP
//     is 127.0.1.K, the address `up` gives it (a node of that name joined from elsewhere has
//     another address and is kept). The directory stays: its identity and static pods serve
//     again when `--nodes` grows back.
//   - hollow-node-K (K >= --hollow-nodes): below the count recorded in `hollow-nodes` by the last
//     `up` that ran hollow nodes, and labelled as a hollow node (a stand-alone `everynode
//     hollow-nodes` process registers the same names, but `up` never records its count).
// A Node already gone is not an error; any other failure is logged and `up` goes on.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../auth/files.js';
import type { Lease, Node } from '../api/types.js';
import { isNotFound, leasesResource, nodesResource, type ApiClient, type RestClient } from '../client/index.js';
import { hollowNodeLabel } from '../hollow/index.js';
import type { Logger } from '../util/logger.js';

/** The file, in the data dir, that records how many hollow nodes the last `up` ran. */
export const upHollowCountFile = 'hollow-nodes';

function recordedHollowCount(dataDir: string): number {
  try {
    const n = Number(readFileSync(join(dataDir, upHollowCountFile), 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

/** Local node numbers K > `nodes` that have a directory under `nodes/` (up ran node-K before). */
function retiredLocalNumbers(dataDir: string, nodes: number, names: Iterable<string>): number[] {
  const out: number[] = [];
  for (const name of names) {
    const m = /^node-([1-9]\d*)$/.exec(name);
    if (!m) continue;
    const k = Number(m[1]);
    if (k > nodes && existsSync(join(dataDir, 'nodes', name))) out.push(k);
  }
  return out;
}

/**
 * Deletes the Nodes of local and hollow nodes an earlier `up` on `dataDir` ran beyond today's
 * counts (see the header), and records `hollowCount` for the next start. Returns the names
 * deleted.
 */
export async function removeRetiredUpNodes(client: RestClient, o: { dataDir: string; nodes: number; hollowCount: number; logger: Logger }): Promise<string[]> {
  const lastHollow = recordedHollowCount(o.dataDir);
  const deleted: string[] = [];
  const nodes = (await client.list<Node>(nodesResource)).items;
  const byName = new Map(nodes.map((n) => [n.metadata.name ?? '', n]));
  const retire = async (name: string, why: string): Promise<void> => {
    try {
      await client.delete(nodesResource, '', name);
      deleted.push(name);
      o.logger.info(`deleted Node ${name}: ${why}`);
    } catch (err) {
      if (isNotFound(err)) return;
      o.logger.warn(`could not delete Node ${name} (${why}): ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  for (const k of retiredLocalNumbers(o.dataDir, o.nodes, byName.keys())) {
    const name = `node-${k}`;
    const ip = byName.get(name)?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (ip !== `127.0.1.${k}`) {
      o.logger.info(`keeping Node ${name}: up runs ${o.nodes} local nodes, but this one's InternalIP is ${ip ?? 'unset'}, not up's 127.0.1.${k}`);
      continue;
    }
    await retire(name, `a local node of an earlier up; this one runs ${o.nodes}`);
  }
  for (let k = o.hollowCount; k < lastHollow; k++) {
    const name = `hollow-node-${k}`;
    if (byName.get(name)?.metadata.labels?.[hollowNodeLabel] !== 'true') continue;
    await retire(name, `a hollow node of an earlier up; this one runs ${o.hollowCount}`);
  }
  if (o.hollowCount !== lastHollow) writeFileAtomic(join(o.dataDir, upHollowCountFile), `${o.hollowCount}\n`, 0o600);
  return deleted;
}

/**
 * Why `up` must not run local node `nodeName` (undefined: it may): a Node of that name whose
 * InternalIP is not `nodeIP`, the address `up` gives it, and whose Lease was renewed within
 * its duration, is run by another agent now (one joined from elsewhere). Two agents of one
 * name would both run its daemons and overwrite each other's Node, as a join under a live
 * name is refused for. `up`'s own node from before (same address) is not another's.
 */
export async function nodeRunByAnotherAgent(client: ApiClient, nodeName: string, nodeIP: string, now = Date.now()): Promise<string | undefined> {
  const found = async <T extends Node | Lease>(get: () => Promise<T>): Promise<T | undefined> => get().catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
  const node = await found(() => client.get<Node>(nodesResource, '', nodeName));
  const address = (node?.status?.addresses ?? []).find((a) => a.type === 'InternalIP')?.address;
  if (address === undefined || address === nodeIP) return undefined;
  const lease = await found(() => client.get<Lease>(leasesResource, 'kube-node-lease', nodeName));
  if (!lease) return undefined;
  const renewed = Date.parse(lease.spec?.renewTime ?? '');
  const durationMs = (lease.spec?.leaseDurationSeconds ?? 40) * 1000;
  if (!Number.isFinite(renewed) || now - renewed > durationMs) return undefined;
  return (
    `node ${nodeName} is run by another agent (InternalIP ${address}, its lease renewed ${Math.max(0, Math.round((now - renewed) / 1000))}s ago): ` +
    `up would run its daemons a second time. Stop that agent (its name is free ${Math.round(durationMs / 1000)}s after its last renewal), or start up with fewer --nodes`
  );
}
