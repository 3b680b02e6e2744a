// Store-level crash safety: a child process writes concurrently to a SqliteStore and prints
// every acknowledged write; we SIGKILL it mid-stream, reopen the file and check that
// - every acknowledged write is in the log with its value (and current state agrees),
// - revisions in the log strictly increase, and replaying the log gives the current state,
// - the file passes SQLite's integrity check and a new write gets a higher revision.
// Several rounds on the same file, so recovery of a recovered file is exercised too.
// Needs the built dist/ (`npm run build`; `npm test` builds first).

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { repoRoot, spawnNode } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { SqliteStore, type KeyValue, type WatchEvent } from '../../src/storage/index.js';

const fixture = path.join(repoRoot, 'test', 'fixtures', 'storage-crash-writer.mjs');
const builtStorage = path.join(repoRoot, 'dist', 'src', 'storage', 'index.js');
const pad = 'x'.repeat(1400);
const valueFor = (key: string, i: number): string => JSON.stringify({ key, i, pad });
const counterValue = (n: number): string => JSON.stringify({ n, pad });

type Ack =
  | { op: 'create'; key: string; rev: number; i: number }
  | { op: 'update'; key: string; rev: number; n: number }
  | { op: 'delete'; key: string; rev: number };

function parseAcks(output: string): Ack[] {
  const lines = output.split('\n');
  lines.pop(); // an unterminated last line may still be arriving
  return lines.filter((l) => l.startsWith('ACK ')).map((l) => JSON.parse(l.slice(4)) as Ack);
}

/** Reads the whole log through a watch from revision 0 (the child never compacts). */
async function replayLog(store: SqliteStore, upTo: number): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  let failure: unknown;
  const w = store.watch('', 0, { onEvents: (evs) => events.push(...evs), onError: (e) => (failure = e) });
  try {
    await waitFor(
      () => {
        if (failure) throw failure;
        return upTo === 0 || events.at(-1)?.revision === upTo;
      },
      { message: `log replay up to revision ${upTo}` },
    );
  } finally {
    w.stop();
  }
  return events;
}

describe('SqliteStore survives SIGKILL', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('keeps every acknowledged write and stays consistent over several kill rounds', async () => {
    if (!fs.existsSync(builtStorage)) throw new Error(`${builtStorage} is missing: run \`npm run build\` first`);
    const dir = makeTempDir(cleanup, 'storage-crash');
    const file = path.join(dir, 'state.db');
    const acks: Ack[] = [];

    for (let round = 0; round < 3; round++) {
      const proc = spawnNode(cleanup, [fixture, file, String(round), '32']);
      const closed = new Promise<void>((res) => proc.child.once('close', () => res()));
      // Kill at a different point each round.
      const killAfter = 400 + round * 350;
      await waitFor(
        () => {
          if (proc.child.exitCode !== null) throw new Error(`writer exited early:\n${proc.output()}`);
          return parseAcks(proc.output()).length >= killAfter;
        },
        { message: `${killAfter} acknowledged writes in round ${round}` },
      );
      proc.signalGroup('SIGKILL');
      const exit = await proc.exited;
      await closed;
      expect(exit.signal).toBe('SIGKILL');
      const roundAcks = parseAcks(proc.output());
      expect(roundAcks.length).toBeGreaterThanOrEqual(killAfter);
      acks.push(...roundAcks);

      const store = await SqliteStore.open(file);
      try {
        const current = await store.currentRevision();
        const log = await replayLog(store, current);

        // Revisions strictly increase; the replayed log yields exactly the current state.
        const state = new Map<string, KeyValue>();
        let prev = 0;
        for (const ev of log) {
          expect(ev.revision).toBeGreaterThan(prev);
          prev = ev.revision;
          if (ev.type === 'delete') {
            expect(state.get(ev.key)?.value).toBe(ev.prevValue);
            state.delete(ev.key);
          } else {
            const before = state.get(ev.key);
            expect(before?.value).toBe(ev.prevValue);
            const createRevision = before ? before.createRevision : ev.revision;
            expect(ev.createRevision).toBe(createRevision);
            state.set(ev.key, { key: ev.key, value: ev.value!, createRevision, modRevision: ev.revision });
          }
        }
        const listed = await store.list('');
        expect(listed.revision).toBe(current);
        expect(listed.items).toEqual([...state.keys()].sort().map((k) => state.get(k)));

        // Every acknowledged write is in the log, with its value.
        const byRevision = new Map(log.map((ev) => [ev.revision, ev]));
        // A write can be durable without its ack (killed between commit and ack), so whether an
        // item was deleted is read from the log; acknowledged deletes are checked to be in it below.
        const deleted = new Set(log.filter((ev) => ev.type === 'delete').map((ev) => ev.key));
        for (const a of acks) {
          const ev = byRevision.get(a.rev);
          expect(ev, `acknowledged ${a.op} ${a.key} at ${a.rev}`).toBeDefined();
          expect(ev!.key).toBe(a.key);
          if (a.op === 'create') {
            expect(ev).toMatchObject({ type: 'put', value: valueFor(a.key, a.i), createRevision: a.rev });
            if (!deleted.has(a.key)) {
              expect(state.get(a.key)).toEqual({ key: a.key, value: valueFor(a.key, a.i), createRevision: a.rev, modRevision: a.rev });
            }
          } else if (a.op === 'update') {
            expect(ev).toMatchObject({ type: 'put', value: counterValue(a.n) });
            const n = (JSON.parse(state.get(a.key)!.value) as { n: number }).n;
            expect(n).toBeGreaterThanOrEqual(a.n);
          } else {
            expect(ev!.type).toBe('delete');
            expect(state.has(a.key)).toBe(false);
          }
        }

        const next = await store.create(`/crash/after/${round}`, 'after');
        expect(next).toBeGreaterThan(current);
      } finally {
        await store.close();
      }
      const db = new Database(file, { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        db.close();
      }
    }
    expect(acks.length).toBeGreaterThan(1000);
  });
});
