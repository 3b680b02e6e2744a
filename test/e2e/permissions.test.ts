// A command run as another user than the data dir's owner says so: a permission problem is not
// reported as a missing file ("no kubeconfig", "no server CA") or as a bare "unable to open
// database file". The built binary runs as uid/gid 65534 through util-linux `setpriv`, on data
// dirs root made (mode 0700), so the test needs root and setpriv; it is skipped without them.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { everynodeBin } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

const isRoot = process.getuid?.() === 0;
const haveSetpriv = spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
// The checkout itself must be readable by that user (a clone in a private 0700 directory is not).
const binaryReadable =
  isRoot && haveSetpriv && spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(everynodeBin)})`], { stdio: 'ignore' }).status === 0;
const skip = !binaryReadable;
const why = !isRoot
  ? 'needs root to run a command as another user'
  : !haveSetpriv
    ? 'needs util-linux setpriv'
    : `uid 65534 cannot read ${everynodeBin} (the checkout is in a directory only its owner may enter)`;

function asNobody(args: string[], cwd: string): { code: number | null; stderr: string } {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, everynodeBin, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr };
}

describe.skipIf(skip)(`commands run as another user than the data dir's (${skip ? why : 'uid 65534'})`, () => {
  it('name the permission problem, the file and its owner', () => {
    const base = makeTempDir(cleanup, 'perm');
    chmodSync(base, 0o755);
    // A data dir of root's, as a server leaves it: the files are 0600, the dir 0700.
    const data = join(base, 'data');
    mkdirSync(join(data, 'tls'), { recursive: true, mode: 0o700 });
    writeFileSync(join(data, 'kubeconfig.yaml'), 'apiVersion: v1\nkind: Config\n', { mode: 0o600 });
    writeFileSync(join(data, 'tls', 'ca.crt'), 'x', { mode: 0o600 });
    chmodSync(data, 0o755);

    const get = asNobody(['get', 'pods', '--kubeconfig', join(data, 'kubeconfig.yaml')], base);
    expect(get.code).toBe(1);
    expect(get.stderr).toBe(`error: cannot read ${join(data, 'kubeconfig.yaml')}: permission denied (it belongs to uid 0; this is uid 65534)\n`);

    const token = asNobody(['token', 'create', '--data-dir', data], base);
    expect(token.code).toBe(1);
    // tls/ is 0700: the file's owner cannot even be looked up.
    expect(token.stderr).toBe(`everynode: cannot read ${join(data, 'tls', 'ca.crt')}: permission denied: run this as the server's user\n`);

    // A data dir the user may not write: the store says which file and why.
    const closed = join(base, 'closed');
    mkdirSync(closed, { mode: 0o755 });
    const server = asNobody(['server', '--data-dir', closed, '--listen', '127.0.0.1:0', '--disable-controllers'], base);
    expect(server.code).toBe(1);
    expect(server.stderr).toContain(`sqlite ${join(closed, 'state.db')}: unable to open database file (can this user, uid 65534, write to ${closed}?)`);
  });
});
