// everynode's own version, from its package.json.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** `v<version>` of the everynode package, found by walking up from this file; `v0.0.0-unknown` when none is found. */
export function everynodeVersion(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'everynode' && pkg.version) return (cached = `v${pkg.version}`);
      } catch {
        /* keep looking */
      }
    }
    dir = dirname(dir);
  }
  return (cached = 'v0.0.0-unknown');
}
