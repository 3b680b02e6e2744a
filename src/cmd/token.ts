// `everynode token`: join tokens and the admin token, working on the server's data dir
// (tokens.json and tls/ca.crt; a running server sees changes without a restart because the
// token store re-reads a replaced file).
//
//   everynode token create [--data-dir DIR] [--ttl DURATION] [--description TEXT]
//       prints a join token `K10<sha256 of the CA>::<id>.<secret>` (default TTL 24h; 0 = never)
//   everynode token rotate-admin [--data-dir DIR]
//       replaces the admin token (the old one stops working at once) and rewrites
//       DIR/kubeconfig.yaml with the new one
//
// Contract: needs read/write access to the data dir (run it on the server machine, as the
// server's user); refuses to run where no server has created its CA yet.

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { createJoinToken, kubeconfigWithCredentials, rotateAdminToken, TokenStore, writeFileAtomic } from '../auth/index.js';

export const tokenUsage = `  token create        print a new join token for \`everynode agent --token\`
           --data-dir DIR       the server's data directory (default ./.everynode)
           --ttl DURATION       lifetime, e.g. 30m, 24h, 7d; 0 = never expires (default 24h)
           --description TEXT   stored with the token
  token rotate-admin  replace the admin token and rewrite DIR/kubeconfig.yaml
           --data-dir DIR       the server's data directory (default ./.everynode)
`;

/** `90s`, `30m`, `24h`, `7d`, or plain seconds → seconds; 0 = never. */
export function parseTtl(s: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(s.trim());
  if (!m) throw new Error(`invalid --ttl ${JSON.stringify(s)}: want e.g. 90s, 30m, 24h, 7d or 0`);
  const n = Number(m[1]);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return n * unit;
}

function serverDataDir(dir: string): { dataDir: string; caPem: string } {
  const dataDir = resolve(dir);
  const caFile = join(dataDir, 'tls', 'ca.crt');
  if (!existsSync(caFile)) throw new Error(`no server CA in ${dataDir} (start \`everynode server --data-dir ${dir}\` first)`);
  return { dataDir, caPem: readFileSync(caFile, 'utf8') };
}

export async function runToken(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      'data-dir': { type: 'string', default: './.everynode' },
      ttl: { type: 'string', default: '24h' },
      description: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help || sub === undefined || sub === 'help') {
    process.stdout.write(`usage: everynode token create|rotate-admin [options]\n${tokenUsage}`);
    return;
  }
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
      let server = 'https://127.0.0.1:6443';
      if (existsSync(path)) {
        const doc = parseYaml(readFileSync(path, 'utf8')) as { clusters?: { cluster?: { server?: string } }[] };
        server = doc.clusters?.[0]?.cluster?.server ?? server;
      }
      const token = rotateAdminToken(tokens);
      writeFileAtomic(path, kubeconfigWithCredentials({ server, caPem, credential: { token }, user: 'admin' }), 0o600);
      process.stdout.write(`admin token rotated; new kubeconfig written to ${path}\n`);
      return;
    }
    default:
      throw new Error(`token: unknown subcommand ${JSON.stringify(sub)} (want create or rotate-admin)`);
  }
}
