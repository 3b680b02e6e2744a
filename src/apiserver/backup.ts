// GET /everynode/backup: a consistent copy of the server's SQLite store, streamed while the
// server keeps serving (`everynode backup` calls it; restore with `everynode restore`).
//
// Contract:
// - For the cluster admin only: the caller must pass RBAC (`nonResourceURLs:
//   ["/everynode/backup"]`, verb get) and be in the group system:masters (handler.ts), since
//   the copy holds every object, Secrets included (encrypted at rest with the data dir's key,
//   which is not sent), and no rule on a path should hand that out.
// - The body is an SQLite database file (`application/vnd.sqlite3`) with Content-Length; the
//   header `Everynode-Backup-Revision` carries its revision. The copy is written to a
//   temporary file in the data dir first (SqliteStore.backup: online, a few hundred pages per
//   event-loop turn, then one self-contained file) and removed once sent or when the client
//   goes away, even while the copy was being made.
// - A server whose store is not SQLite (etcd) answers 400 naming etcd's own snapshot tool.
// - One backup at a time per server: a second concurrent request gets 429 with Retry-After.
// - Which data dir the server uses: each start writes a new random id to `<dataDir>/server-instance`
//   (SERVER_INSTANCE_FILE) and the answer carries it as `Everynode-Server-Instance`. A request
//   carrying that header with another id (the id in the data dir the client means to back up)
//   is refused with 409 before any copy is made: the server answering is not the one using
//   that data dir (a copied or restored data dir whose kubeconfig names the original server).

import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, methodNotAllowed } from '../api/errors.js';
import { answerClosed } from './inflight.js';

export const BACKUP_PATH = '/everynode/backup';
export const BACKUP_REVISION_HEADER = 'everynode-backup-revision';
/** Request and answer header: the instance id of the server's data dir (SERVER_INSTANCE_FILE). */
export const SERVER_INSTANCE_HEADER = 'everynode-server-instance';
/** The file in the data dir with the id of the server started last on it (written at each start). */
export const SERVER_INSTANCE_FILE = 'server-instance';

export interface BackupSource {
  /** Writes the copy to `file`; undefined when the store cannot (not SQLite). */
  backup?: (file: string) => Promise<{ revision: number; bytes: number }>;
  /** Where the temporary copy is written (the data dir). */
  dir: string;
  /** What the store is, for the error when it cannot back up. */
  describe: string;
  /** This server's instance id (the content of `<dir>/server-instance`). */
  instanceId: string;
}

let seq = 0;

export function createBackupHandler(src: BackupSource): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  let running = false;
  return async (req, res) => {
    const method = req.method ?? 'GET';
    if (method !== 'GET') throw methodNotAllowed();
    const expected = req.headers[SERVER_INSTANCE_HEADER];
    if (typeof expected === 'string' && expected !== src.instanceId) {
      throw new ApiError(
        409,
        'Conflict',
        `this server (data dir ${src.dir}) is not the one using the data dir to back up: its ${SERVER_INSTANCE_FILE} differs (a copied or restored data dir whose kubeconfig.yaml names another server?)`,
      );
    }
    if (!src.backup) {
      throw badRequest(`the store is ${src.describe}: back it up with etcd's own tool (etcdctl snapshot save), and the data dir's files by copying them`);
    }
    if (running) throw new ApiError(429, 'TooManyRequests', 'a backup is already running on this server; try again when it is done', { retryAfterSeconds: 5 });
    running = true;
    const file = path.join(src.dir, `.backup-${process.pid}-${++seq}.db`);
    try {
      const { revision, bytes } = await src.backup(file);
      // A client gone while the copy was made: its answer closed already, and a pipeline into it
      // would wait for a 'close' that has come and gone.
      if (answerClosed(res)) return;
      res.writeHead(200, {
        'Content-Type': 'application/vnd.sqlite3',
        'Content-Length': bytes,
        'Cache-Control': 'no-cache, private',
        [BACKUP_REVISION_HEADER]: String(revision),
        [SERVER_INSTANCE_HEADER]: src.instanceId,
      });
      // A client that goes away now ends the pipeline with an error: nothing more to answer.
      await pipeline(fs.createReadStream(file), res).catch(() => res.destroy());
    } finally {
      running = false;
      fs.rmSync(file, { force: true });
    }
  };
}
