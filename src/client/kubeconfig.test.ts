// loadKubeconfig: every failure names the file, in one line (the agent's --kubeconfig and the
// CLI print it as is).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKubeconfig } from './kubeconfig.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadKubeconfig', () => {
  it('names the file of malformed YAML in one line', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'apiVersion: v1\nkind: Config\nclusters: [\n');
    expect(() => loadKubeconfig(path)).toThrow(new RegExp(`^error loading config file "${path}": \\S[^\\n]*$`));
  });

  it('names a missing file', () => {
    const path = join(dir, 'missing.yaml');
    expect(() => loadKubeconfig(path)).toThrow(`error loading config file "${path}": ENOENT`);
  });

  it('names the file when the context is missing', () => {
    const path = join(dir, 'k.yaml');
    writeFileSync(path, 'apiVersion: v1\nkind: Config\nclusters: []\n');
    expect(() => loadKubeconfig(path)).toThrow(`kubeconfig ${path}: no current-context`);
  });
});
