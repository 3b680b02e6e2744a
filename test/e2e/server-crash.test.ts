// Crash safety of the real server binary: a stream of concurrent, acknowledged writes, SIGKILL
// of the server's process group mid-stream, restart on the same data dir — several rounds.
//
// The property checked after every restart (the model below is the client's view):
// - every acknowledged write (2xx) is present with the acknowledged content (or with the content
//   of a later write to the same object that was in flight when the server died), the same uid,
//   and a resourceVersion ≥ the acknowledged one;
// - nothing exists that was never requested;
// - every acknowledged delete stays deleted;
// - the store is consistent: list RV ≥ every object's RV, and new writes succeed with RVs above
//   everything listed and everything ever acknowledged (the revision counter never goes back).
// Each worker owns its objects and writes them one request at a time, so at most one request per
// object has an unknown outcome when the server dies.

import { afterAll, describe, expect, it } from 'vitest';
import { testFetch } from '../helpers/auth.js';
import { Cleanup } from '../helpers/cleanup.js';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const NS = 'crash';
const ROUNDS = 5;
const WORKERS = 12;

type Plural = 'configmaps' | 'pods';

interface Tracked {
  plural: Plural;
  name: string;
  owner: number;
  /** Last acknowledged content, uid and RV (undefined until the create is acknowledged). */
  acked?: { content: string; uid: string; rv: bigint };
  /** Content of a write whose answer never came (the server died). */
  pending?: string;
  /** A delete was acknowledged: the object must stay absent. */
  deleted?: boolean;
  /** A delete was in flight when the server died. */
  pendingDelete?: boolean;
}

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

const key = (plural: Plural, name: string) => `${plural}/${name}`;

function bodyFor(t: Tracked, content: string): unknown {
  return t.plural === 'configmaps'
    ? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: t.name, labels: { owner: String(t.owner) } }, data: { v: content } }
    : {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: t.name, labels: { owner: String(t.owner) }, annotations: { v: content } },
        spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1'] }] },
      };
}

interface Obj {
  metadata: { name: string; uid: string; resourceVersion: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

const contentOf = (plural: Plural, o: Obj): string | undefined => (plural === 'configmaps' ? o.data?.v : o.metadata.annotations?.v);

async function send(url: string, method: string, body: unknown, contentType = 'application/json'): Promise<{ status: number; json: unknown }> {
  const res = await testFetch(url, {
    method,
    headers: { 'content-type': contentType, accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

async function list(base: string, plural: Plural): Promise<{ rv: bigint; items: Obj[] }> {
  const r = await send(`${base}/api/v1/namespaces/${NS}/${plural}`, 'GET', undefined);
  expect(r.status).toBe(200);
  const l = r.json as { metadata: { resourceVersion: string }; items: Obj[] };
  return { rv: BigInt(l.metadata.resourceVersion), items: l.items };
}

describe('server crash safety (SIGKILL mid-stream, restart on the same data dir)', () => {
  it(`keeps every acknowledged write over ${ROUNDS} kill/restart rounds`, async () => {
    const dataDir = makeTempDir(cleanup, 'crash');
    const tracked = new Map<string, Tracked>();
    const requested = new Set<string>();
    let seq = 0;
    /** The highest RV ever acknowledged by any server incarnation. */
    let maxAckedRv = 0n;
    /** Requests cut off by the kill in the current round (their outcome is unknown). */
    let cutOff = 0;
    /** Per round: acks before the kill, requests cut off, cut-off writes found committed. */
    const rounds: { acks: number; cutOff: number; committedUnacked?: number }[] = [];

    /** Checks the invariants against a freshly restarted server and syncs the model to it. */
    async function verify(srv: ServerProcess, round: number): Promise<number> {
      let committedUnacked = 0;
      const found = new Map<string, Obj>();
      let maxListRv = 0n;
      for (const plural of ['configmaps', 'pods'] as const) {
        const l = await list(srv.url, plural);
        for (const o of l.items) {
          // The cluster's own object in every namespace (the root CA publisher), not a test write.
          if (plural === 'configmaps' && o.metadata.name === 'kube-root-ca.crt') continue;
          const k = key(plural, o.metadata.name);
          expect(requested.has(k), `${k} exists but was never requested`).toBe(true);
          expect(l.rv >= BigInt(o.metadata.resourceVersion), `list RV ${l.rv} < ${k} RV ${o.metadata.resourceVersion}`).toBe(true);
          found.set(k, o);
        }
        maxListRv = l.rv > maxListRv ? l.rv : maxListRv;
      }
      let acked = 0;
      for (const [k, t] of tracked) {
        const o = found.get(k);
        if (t.deleted) {
          expect(o, `${k} was deleted (acknowledged) but exists after the crash in round ${round}`).toBeUndefined();
          continue;
        }
        if (t.pendingDelete) {
          t.pendingDelete = false;
          if (!o) {
            t.deleted = true; // the in-flight delete committed
            committedUnacked++;
            continue;
          }
        }
        if (t.acked) {
          acked++;
          expect(o, `acknowledged ${k} is missing after the crash in round ${round}`).toBeDefined();
          if (!o) continue;
          const content = contentOf(t.plural, o);
          const allowed = [t.acked.content, ...(t.pending !== undefined ? [t.pending] : [])];
          expect(allowed, `${k} content after the crash`).toContain(content);
          if (t.pending !== undefined && content === t.pending) committedUnacked++;
          expect(o.metadata.uid, `${k} was recreated`).toBe(t.acked.uid);
          expect(BigInt(o.metadata.resourceVersion) >= t.acked.rv, `${k} RV went back`).toBe(true);
          t.acked = { content: content ?? '', uid: o.metadata.uid, rv: BigInt(o.metadata.resourceVersion) };
        } else if (o) {
          // A create that was in flight and did commit: it must carry the requested content.
          expect(contentOf(t.plural, o)).toBe(t.pending);
          committedUnacked++;
          t.acked = { content: t.pending ?? '', uid: o.metadata.uid, rv: BigInt(o.metadata.resourceVersion) };
        } else {
          tracked.delete(k); // never acknowledged, never committed
        }
        t.pending = undefined;
      }
      if (round > 0) expect(acked).toBeGreaterThan(0);

      // New writes succeed and land above everything listed.
      const probe = await send(`${srv.url}/api/v1/namespaces/${NS}/configmaps`, 'POST', { metadata: { name: `probe-${round}` }, data: { v: 'probe' } });
      expect(probe.status).toBe(201);
      requested.add(key('configmaps', `probe-${round}`));
      const p = probe.json as Obj;
      expect(BigInt(p.metadata.resourceVersion) > maxListRv).toBe(true);
      expect(BigInt(p.metadata.resourceVersion) > maxAckedRv, 'the revision counter went back after the restart').toBe(true);
      maxAckedRv = BigInt(p.metadata.resourceVersion);
      tracked.set(key('configmaps', `probe-${round}`), { plural: 'configmaps', name: `probe-${round}`, owner: -1, acked: { content: 'probe', uid: p.metadata.uid, rv: BigInt(p.metadata.resourceVersion) } });
      return committedUnacked;
    }

    /** One worker: creates, updates and deletes its own objects until the server stops answering. */
    async function worker(srv: ServerProcess, round: number, w: number, onAck: () => void): Promise<void> {
      const mine = () => [...tracked.values()].filter((t) => t.owner === w && t.acked && !t.deleted);
      for (let i = 0; ; i++) {
        const existing = mine();
        const content = `r${round}-w${w}-${seq++}`;
        let t: Tracked;
        let req: Promise<{ status: number; json: unknown }>;
        let isDelete = false;
        if (existing.length > 2 && i % 6 === 5) {
          t = existing[(i * 5) % existing.length]!;
          t.pendingDelete = true;
          isDelete = true;
          req = send(`${srv.url}/api/v1/namespaces/${NS}/${t.plural}/${t.name}`, 'DELETE', undefined);
        } else if (existing.length > 0 && i % 2 === 1) {
          t = existing[(i * 7) % existing.length]!;
          t.pending = content;
          const url = `${srv.url}/api/v1/namespaces/${NS}/${t.plural}/${t.name}`;
          const rv = String(t.acked!.rv);
          req =
            t.plural === 'configmaps'
              ? send(url, 'PUT', { ...(bodyFor(t, content) as object), metadata: { name: t.name, resourceVersion: rv, labels: { owner: String(w) } } })
              : send(url, 'PATCH', { metadata: { resourceVersion: rv, annotations: { v: content } } }, 'application/merge-patch+json');
        } else {
          const plural: Plural = i % 4 === 0 ? 'pods' : 'configmaps';
          t = { plural, name: `r${round}-w${w}-${i}`, owner: w, pending: content };
          tracked.set(key(plural, t.name), t);
          requested.add(key(plural, t.name));
          req = send(`${srv.url}/api/v1/namespaces/${NS}/${plural}`, 'POST', bodyFor(t, content));
        }
        let r: { status: number; json: unknown };
        try {
          r = await req;
        } catch {
          cutOff++;
          return; // the server died under this request: its outcome is unknown (t.pending stays)
        }
        // While the server is alive every write of this workload must succeed.
        expect(r.status, `unexpected answer ${JSON.stringify(r.json)}`).toBeLessThan(300);
        if (isDelete) {
          t.deleted = true;
          t.pendingDelete = false;
        } else {
          const o = r.json as Obj;
          t.acked = { content, uid: o.metadata.uid, rv: BigInt(o.metadata.resourceVersion) };
          t.pending = undefined;
          if (t.acked.rv > maxAckedRv) maxAckedRv = t.acked.rv;
        }
        onAck();
      }
    }

    for (let round = 0; round <= ROUNDS; round++) {
      const srv = await startServerProcess(cleanup, { dataDir });
      if (round === 0) {
        const ns = await send(`${srv.url}/api/v1/namespaces`, 'POST', { metadata: { name: NS } });
        expect(ns.status).toBe(201);
      }
      const committedUnacked = await verify(srv, round);
      const prev = rounds[round - 1];
      if (prev) prev.committedUnacked = committedUnacked;
      if (round === ROUNDS) {
        await srv.stop(); // SIGTERM: a clean shutdown exits 0 within the grace period
        expect(await srv.exited).toEqual({ code: 0, signal: null });
        break;
      }

      // Stream writes; SIGKILL the whole process group once enough acks arrived (mid-stream).
      const killAfter = 100 + Math.floor(Math.random() * 600);
      let acks = 0;
      let killed = false;
      cutOff = 0;
      const onAck = () => {
        if (++acks >= killAfter && !killed) {
          killed = true;
          srv.signalGroup('SIGKILL');
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(srv, round, w, onAck)));
      const exit = await srv.exited;
      expect(exit.signal).toBe('SIGKILL');
      expect(acks).toBeGreaterThanOrEqual(killAfter);
      expect(cutOff, 'the kill cut off requests in flight (mid-stream)').toBeGreaterThan(0);
      rounds.push({ acks, cutOff });
      await srv.stop(); // unregisters the (already dead) group
    }
    const deletes = [...tracked.values()].filter((t) => t.deleted).length;
    expect(deletes, 'the stream included deletes').toBeGreaterThan(0);
    console.log(`crash rounds: ${JSON.stringify(rounds)}; objects tracked: ${tracked.size}, deleted: ${deletes}`);
  });
});
