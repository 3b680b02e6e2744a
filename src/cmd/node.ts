// `everynode node`: node credentials, working on the server's data dir like `everynode token`.
//
//   everynode node revoke NAME [--data-dir DIR] [--reason TEXT] [--keep-node]
//       refuses every certificate issued to node NAME until now (revoked-certs.json; running
//       servers close its connections within a second) and deletes its Node object through
//       DIR/kubeconfig.yaml, so its pods go too (--keep-node: leave the object). The node can
//       come back only by joining again with a new join token.
//   everynode node revocations [--data-dir DIR]
//       lists the revocations in force
//
// Contract: needs read/write access to the data dir (run it on the server machine, as the
// server's user); refuses to run where no server has created its CA yet. The revocation is
// recorded before the Node is deleted, so a failed delete leaves the node locked out.

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isNotFound } from '../client/errors.js';
import { clientFromKubeconfig, nodesResource } from '../client/index.js';
import { nodeUserName, RevocationList } from '../auth/index.js';
import { serverDataDir } from './token.js';

export const nodeUsage = `  node revoke NAME    lock node NAME out: its certificates stop working at once, its Node
                       object (and so its pods) is deleted; it may join again with a new token
           --data-dir DIR       the server's data directory (default ./.everynode)
           --reason TEXT        stored with the revocation
           --keep-node          do not delete the Node object
           --force              revoke a name the server has no Node for
  node revocations    list the revoked certificates' users
           --data-dir DIR       the server's data directory (default ./.everynode)
`;

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export async function runNode(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string', default: './.everynode' },
      reason: { type: 'string' },
      'keep-node': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [sub, ...names] = positionals;
  if (values.help || sub === undefined || sub === 'help') {
    process.stdout.write(`usage: everynode node revoke|revocations [options]\n${nodeUsage}`);
    return;
  }
  const { dataDir } = serverDataDir(values['data-dir']);
  const revocations = new RevocationList(dataDir);
  switch (sub) {
    case 'revoke': {
      const [name, ...extra] = names;
      if (name === undefined || extra.length > 0) throw new Error('node revoke: want exactly one node name');
      if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) throw new Error(`node revoke: ${JSON.stringify(name)} is not a valid node name`);
      // A typo must not pass for a lockout: a name the server has no Node for needs --force
      // (a node already deleted, or one whose Node the server cannot be asked about, is revoked).
      if (!values.force && (await nodeMissing(dataDir, name))) {
        throw new Error(`node revoke: the server has no Node ${JSON.stringify(name)} (mistyped?); --force revokes the name anyway`);
      }
      const entry = await revocations.revoke(nodeUserName(name), values.reason ? { reason: values.reason } : {});
      process.stdout.write(`node ${name}: certificates issued before ${entry.before} revoked\n`);
      if (!values['keep-node']) process.stdout.write(`${await deleteNode(dataDir, name)}\n`);
      return;
    }
    case 'revocations': {
      if (names.length > 0) throw new Error('node revocations: takes no arguments');
      const rows = revocations.list();
      if (rows.length === 0) {
        process.stdout.write('no revocations\n');
        return;
      }
      const table = [['USER', 'ISSUED BEFORE', 'REVOKED', 'REASON'], ...rows.map((r) => [r.user, r.before, r.revoked, r.reason ?? ''])];
      const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
      for (const r of table) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('   ').trimEnd()}\n`);
      return;
    }
    default:
      throw new Error(`node: unknown subcommand ${JSON.stringify(sub)} (want revoke or revocations)`);
  }
}

/** True only when the server answers that Node `name` does not exist (unreachable: false). */
async function nodeMissing(dataDir: string, name: string): Promise<boolean> {
  let c: ReturnType<typeof clientFromKubeconfig>;
  try {
    c = clientFromKubeconfig(join(dataDir, 'kubeconfig.yaml'));
  } catch {
    return false;
  }
  try {
    await c.client.get(nodesResource, '', name);
    return false;
  } catch (err) {
    return isNotFound(err);
  } finally {
    c.transport.destroy();
  }
}

/** Deletes the Node object with the admin kubeconfig of the data dir; returns the line to print. */
async function deleteNode(dataDir: string, name: string): Promise<string> {
  let c: ReturnType<typeof clientFromKubeconfig>;
  try {
    c = clientFromKubeconfig(join(dataDir, 'kubeconfig.yaml'));
  } catch (err) {
    return `Node ${name} kept: no usable kubeconfig in ${dataDir} (${err instanceof Error ? err.message : String(err)}); delete it with \`everynode delete node ${name}\` and this cluster's admin kubeconfig (--kubeconfig FILE)`;
  }
  try {
    await c.client.delete(nodesResource, '', name);
    return `Node ${name} deleted`;
  } catch (err) {
    if (isNotFound(err)) return `Node ${name}: no such Node object`;
    // The suggestion names this data dir's kubeconfig: the CLI's default (./.everynode) may be another cluster.
    return `Node ${name} kept: ${err instanceof Error ? err.message : String(err)}; delete it with \`everynode delete node ${name} --kubeconfig ${join(dataDir, 'kubeconfig.yaml')}\` once the server is reachable`;
  } finally {
    c.transport.destroy();
  }
}
