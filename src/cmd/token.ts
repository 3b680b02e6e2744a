// `everynode token`: join tokens and the admin token, working on the server's data dir
// (tokens.json and tls/ca.crt; a running server sees changes without a restart because the
// token store re-reads a replaced file).
//
//   everynode token create [--data-dir DIR] [--ttl DURATION] [--description TEXT]
//       prints a join token `K10<sha256 of the CA>::<id>.<secret>` (default TTL 24h; 0 = never)
//   everynode token list [--data-dir DIR]
//       lists the tokens (id, kind, user, created, expires, description; never secrets)
//   everynode token delete ID... [--data-dir DIR]
//       deletes tokens at once (the admin token is rotated instead)
//   everynode token rotate-admin [--data-dir DIR]
//       replaces the admin token (the old one stops working at once) and the admin user's
//       token in DIR/kubeconfig.yaml (the rest of the file kept; written afresh when missing)
//
// Contract: needs read/write access to the data dir (run it on the server machine, as the
// server's user); refuses to run where no server has created its CA yet.

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isMap, isSeq, parse as parseYaml, parseDocument } from 'yaml';
import { ADMIN_TOKEN_ID, createJoinToken, kubeconfigWithCredentials, rotateAdminToken, TokenStore, writeFileAtomic } from '../auth/index.js';
import { unreadable } from '../util/errors.js';

export const tokenUsage = `  token create        print a new join token for \`everynode agent --token\`
           --data-dir DIR       the server's data directory (default ./.everynode)
           --ttl DURATION       lifetime, e.g. 30m, 1h30m, 24h, 7d (at most 3650d); 0 = never expires (default 24h)
           --description TEXT   stored with the token
  token list          the stored tokens (ids, kinds, users, expiry, expired ones marked; never the secrets)
           --data-dir DIR       the server's data directory (default ./.everynode)
  token delete ID...  delete tokens now (a join token handed out and no longer wanted)
           --data-dir DIR       the server's data directory (default ./.everynode)
  token rotate-admin  replace the admin token and its copy in DIR/kubeconfig.yaml
           --data-dir DIR       the server's data directory (default ./.everynode)
`;

/** Longest lifetime a token may be given: ten years (beyond, dates stop being sensible). */
const MAX_TTL_SECONDS = 10 * 365 * 86_400;

/**
 * `90s`, `30m`, `24h`, `7d`, several together as Go and kubeadm write them (`1h30m`, `2d12h`),
 * or plain seconds → seconds; 0 = never.
 */
export function parseTtl(s: string): number {
  const t = s.trim();
  const bad = () => new Error(`invalid --ttl ${JSON.stringify(s)}: want e.g. 90s, 30m, 1h30m, 24h, 7d or 0`);
  if (/^\d+$/.test(t)) return checkTtl(s, Number(t));
  if (!/^(\d+(s|m|h|d))+$/.test(t)) throw bad();
  let seconds = 0;
  for (const m of t.matchAll(/(\d+)(s|m|h|d)/g)) seconds += Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return checkTtl(s, seconds);
}

function checkTtl(s: string, seconds: number): number {
  if (!Number.isSafeInteger(seconds) || seconds > MAX_TTL_SECONDS) throw new Error(`invalid --ttl ${JSON.stringify(s)}: at most ten years (3650d); 0 = never expires`);
  return seconds;
}

/** The server's data dir (absolute) and CA; throws where no server has created its CA yet. */
export function serverDataDir(dir: string): { dataDir: string; caPem: string } {
  const dataDir = resolve(dir);
  const caFile = join(dataDir, 'tls', 'ca.crt');
  const why = unreadable(caFile);
  if (why === 'missing') throw new Error(`no server CA in ${dataDir} (start \`everynode server --data-dir ${dir}\` first)`);
  if (why !== undefined) throw new Error(`${why}: run this as the server's user`);
  return { dataDir, caPem: readFileSync(caFile, 'utf8') };
}

/**
 * The kubeconfig text with the token of its user `admin` replaced (the rest of the document,
 * comments included, as it was); undefined when it does not parse or has no such user with a token.
 */
export function withAdminToken(text: string, token: string): string | undefined {
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text);
  } catch {
    return undefined;
  }
  if (doc.errors.length > 0) return undefined;
  const users = doc.get('users');
  if (!isSeq(users)) return undefined;
  for (const u of users.items) {
    if (!isMap(u) || u.get('name') !== 'admin') continue;
    const user = u.get('user');
    if (!isMap(user) || !user.has('token')) return undefined;
    user.set('token', token);
    return doc.toString();
  }
  return undefined;
}

export async function runToken(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string', default: './.everynode' },
      ttl: { type: 'string', default: '24h' },
      description: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help || sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    process.stdout.write(`usage: everynode token create|list|delete|rotate-admin [options]\n${tokenUsage}`);
    return;
  }
  if (!['create', 'list', 'delete', 'rotate-admin'].includes(sub)) throw new Error(`token: unknown subcommand ${JSON.stringify(sub)} (want create, list, delete or rotate-admin)`);
  if (sub !== 'delete' && positionals.length > 0) throw new Error(`token ${sub}: unexpected argument ${JSON.stringify(positionals[0])}`);
  const { dataDir, caPem } = serverDataDir(values['data-dir']);
  const tokens = new TokenStore(dataDir);
  switch (sub) {
    case 'create': {
      const ttlSeconds = parseTtl(values.ttl);
      const t = createJoinToken(tokens, { caCertPem: caPem }, { ttlSeconds, ...(values.description ? { description: values.description } : {}) });
      process.stdout.write(`${t}\n`);
      return;
    }
    case 'rotate-admin': {
      const path = join(dataDir, 'kubeconfig.yaml');
      const text = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
      const token = rotateAdminToken(tokens);
      // The file as it is, with only the admin user's token replaced (contexts and users added
      // to it stay); written afresh when it is missing or holds no such user.
      const edited = text === undefined ? undefined : withAdminToken(text, token);
      if (edited !== undefined) {
        writeFileAtomic(path, edited, 0o600);
        process.stdout.write(`admin token rotated; the admin user's token replaced in ${path}\n`);
        return;
      }
      let server = 'https://127.0.0.1:6443';
      if (text !== undefined) {
        try {
          const doc = parseYaml(text) as { clusters?: { cluster?: { server?: string } }[] } | null;
          server = doc?.clusters?.[0]?.cluster?.server ?? server;
        } catch {
          // a damaged file is replaced
        }
      }
      writeFileAtomic(path, kubeconfigWithCredentials({ server, caPem, credential: { token }, user: 'admin' }), 0o600);
      process.stdout.write(`admin token rotated; new kubeconfig written to ${path}\n`);
      return;
    }
    case 'list': {
      // Ids and what they are for; the secrets are not stored, so none can be shown.
      const now = Date.now();
      const rows = [['ID', 'KIND', 'USER', 'CREATED', 'EXPIRES', 'DESCRIPTION']];
      for (const r of tokens.list()) {
        const expired = r.expires !== undefined && Date.parse(r.expires) <= now;
        // A description is printed on its one line: control characters escaped, so none can
        // start a row of its own.
        const description = (r.description ?? '').replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
        rows.push([r.id, r.kind, r.user, r.created, r.expires ? `${r.expires}${expired ? ' (expired)' : ''}` : 'never', description]);
      }
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('   ').trimEnd()}\n`);
      return;
    }
    case 'delete': {
      if (positionals.length === 0) throw new Error('token delete: want one or more token ids (see `everynode token list`)');
      for (const id of positionals) {
        if (id === ADMIN_TOKEN_ID) throw new Error('token delete: the admin token is replaced with `everynode token rotate-admin`, not deleted');
      }
      for (const id of positionals) {
        if (!tokens.revoke(id)) throw new Error(`token delete: no token with id ${JSON.stringify(id)}`);
        process.stdout.write(`token ${id} deleted\n`);
      }
      return;
    }
    default:
      throw new Error(`token: unknown subcommand ${JSON.stringify(sub)} (want create, list, delete or rotate-admin)`);
  }
}
