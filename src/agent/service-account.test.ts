import { readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ApiError } from '../api/errors.js';
import type { Pod } from '../api/types.js';
import { tempDirs } from '../api/testing/index.js';
import type { ApiClient } from '../client/index.js';
import { ServiceAccountProvider } from './service-account.js';

const tempDir = tempDirs('sa-provider');
/** The API server's admission gives a pod that mounts the token a kube-api-access volume. */
const tokenVolume = { name: 'kube-api-access-x2x4x', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }] } };
const pod = (name: string, sa?: string, automount?: boolean): Pod =>
  ({
    metadata: { name, namespace: 'ops', uid: `${name}-uid` },
    spec: { containers: [], ...(sa ? { serviceAccountName: sa } : {}), ...(automount === false ? { automountServiceAccountToken: false } : { volumes: [tokenVolume] }) },
  }) as Pod;

/** A client whose only call is TokenRequest: tokens `t1`, `t2`, ... for existing accounts. */
function fakeClient(accounts: string[]): { client: ApiClient; requests: { path: string; body: any }[] } {
  const requests: { path: string; body: any }[] = [];
  let n = 0;
  const client = {
    create: async (r: { plural: string }, ns: string, body: any) => {
      requests.push({ path: `${ns}/${r.plural}`, body });
      const sa = decodeURIComponent(r.plural.split('/')[1]!);
      if (!accounts.includes(sa)) throw new ApiError(404, 'NotFound', `serviceaccounts "${sa}" not found`);
      return { status: { token: `t${++n}`, expirationTimestamp: new Date(Date.now() + 3600_000).toISOString() } };
    },
  } as unknown as ApiClient;
  return { client, requests };
}

describe('ServiceAccountProvider', () => {
  it('writes a kubeconfig with a pod-bound token and points the container at it', async () => {
    const dir = tempDir();
    const { client, requests } = fakeClient(['reader']);
    const p = new ServiceAccountProvider({ client, dir, apiServer: { url: 'https://10.0.0.1:6443', caPem: 'CA' } });
    const env = await p.environment(pod('a', 'reader'));
    expect(env).toEqual([
      { name: 'KUBECONFIG', value: join(dir, 'a-uid', 'kubeconfig') },
      { name: 'KUBERNETES_SERVICE_HOST', value: '10.0.0.1' },
      { name: 'KUBERNETES_SERVICE_PORT', value: '6443' },
      { name: 'KUBERNETES_SERVICE_PORT_HTTPS', value: '6443' },
      { name: 'KUBERNETES_PORT', value: 'tcp://10.0.0.1:6443' },
      { name: 'KUBERNETES_PORT_6443_TCP', value: 'tcp://10.0.0.1:6443' },
      { name: 'KUBERNETES_PORT_6443_TCP_PROTO', value: 'tcp' },
      { name: 'KUBERNETES_PORT_6443_TCP_PORT', value: '6443' },
      { name: 'KUBERNETES_PORT_6443_TCP_ADDR', value: '10.0.0.1' },
    ]);
    expect(requests).toEqual([{ path: 'ops/serviceaccounts/reader/token', body: expect.objectContaining({ spec: { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'a', uid: 'a-uid' } } }) }]);
    const kc = parseYaml(readFileSync(join(dir, 'a-uid', 'kubeconfig'), 'utf8'));
    expect(kc.users[0].user.token).toBe('t1');
    expect(kc.clusters[0].cluster.server).toBe('https://10.0.0.1:6443');
    expect(kc.contexts[0].context.namespace).toBe('ops');
    expect(readFileSync(join(dir, 'a-uid', 'token'), 'utf8')).toBe('t1');
    expect((statSync(join(dir, 'a-uid', 'kubeconfig')).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(join(dir, 'a-uid')).mode & 0o777).toString(8)).toBe('700');
    // A second container of the pod reuses the token.
    await p.environment(pod('a', 'reader'));
    expect(requests).toHaveLength(1);
  });

  it('no token when the pod mounts none, or names no account and there is no default one; a missing named account fails', async () => {
    const { client } = fakeClient(['reader']);
    const p = new ServiceAccountProvider({ client, dir: tempDir(), apiServer: { url: 'https://h:6443', caPem: 'CA' } });
    expect(await p.environment(pod('b', 'reader', false))).toEqual([]);
    // Only a token for the API counts: no volume (its account opted out at admission), or a
    // projected token for another audience, gives no credentials.
    const unmounted = pod('b2', 'reader');
    delete unmounted.spec.volumes;
    expect(await p.environment(unmounted)).toEqual([]);
    const vault = pod('b3', 'reader');
    vault.spec.volumes = [{ name: 'vault-token', projected: { sources: [{ serviceAccountToken: { audience: 'vault', path: 'token' } }] } }];
    expect(await p.environment(vault)).toEqual([]);
    expect(await p.environment(pod('c'))).toEqual([]);
  });

  it('keeps giving credentials to a pod an older server created without the token volume, which already had a token', async () => {
    const dir = tempDir();
    const { client } = fakeClient(['reader']);
    const legacy = pod('old', 'reader');
    delete legacy.spec.volumes;
    // An earlier agent issued its token (the file is there); this agent restarts its container.
    const earlier = new ServiceAccountProvider({ client, dir, apiServer: { url: 'https://h:6443', caPem: 'CA' } });
    expect(await earlier.environment(pod('old', 'reader'))).not.toEqual([]);
    const p = new ServiceAccountProvider({ client, dir, apiServer: { url: 'https://h:6443', caPem: 'CA' } });
    expect((await p.environment(legacy)).map((e) => e.name)).toContain('KUBECONFIG');
    // Unless it opts out itself.
    expect(await p.environment({ ...legacy, spec: { ...legacy.spec, automountServiceAccountToken: false } })).toEqual([]);
    await expect(p.environment(pod('d', 'ghost'))).rejects.toThrow(/serviceaccounts "ghost" not found/);
  });

  it('takes over the token of a pod it did not start (an agent restart) and renews it in time', async () => {
    const dir = tempDir();
    const { client, requests } = fakeClient(['reader']);
    const iat = Math.floor(Date.now() / 1000) - 3000;
    const jwt = `x.${Buffer.from(JSON.stringify({ iat, exp: iat + 3600 })).toString('base64url')}.y`;
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(dir, 'g-uid'), { recursive: true });
    writeFileSync(join(dir, 'g-uid', 'token'), jwt);
    const p = new ServiceAccountProvider({ client, dir, apiServer: { url: 'https://h:6443', caPem: 'CA' } });
    await p.refresh([pod('g', 'reader')], () => undefined);
    // 3000 of 3600 s gone: past 80%, so renewed.
    expect(requests).toHaveLength(1);
    expect(readFileSync(join(dir, 'g-uid', 'token'), 'utf8')).toBe('t1');
  });

  it('backs off after a failure instead of asking on every sync pass; a missing default account is remembered', async () => {
    const { client, requests } = fakeClient([]);
    let now = Date.now();
    const p = new ServiceAccountProvider({ client, dir: tempDir(), apiServer: { url: 'https://h:6443', caPem: 'CA' }, now: () => now });
    await expect(p.environment(pod('h', 'ghost'))).rejects.toThrow(/not found/);
    await expect(p.environment(pod('h', 'ghost'))).rejects.toThrow(/not found/);
    expect(requests).toHaveLength(1);
    now += 11_000;
    await expect(p.environment(pod('h', 'ghost'))).rejects.toThrow(/not found/);
    expect(requests).toHaveLength(2);
    expect(await p.environment(pod('i'))).toEqual([]);
    expect(await p.environment(pod('j'))).toEqual([]);
    expect(requests).toHaveLength(3); // the second pod of the namespace did not ask again
  });

  it('renews tokens past 80% of their life and removes the files of pods gone', async () => {
    const dir = tempDir();
    const { client } = fakeClient(['reader']);
    let now = Date.now();
    const p = new ServiceAccountProvider({ client, dir, apiServer: { url: 'https://h:6443', caPem: 'CA' }, now: () => now });
    await p.environment(pod('e', 'reader'));
    await p.environment(pod('f', 'reader'));
    await p.refresh([], () => undefined);
    expect(readFileSync(join(dir, 'e-uid', 'token'), 'utf8')).toBe('t1');
    now += 0.85 * 3600_000;
    await p.refresh([], () => undefined);
    expect(readFileSync(join(dir, 'e-uid', 'token'), 'utf8')).toBe('t3');
    p.retain(new Set(['e-uid']));
    expect(existsSync(join(dir, 'f-uid'))).toBe(false);
    expect(existsSync(join(dir, 'e-uid', 'token'))).toBe(true);
  });

  it('sends a TokenRequest cut by a connection reset once more at once', async () => {
    let calls = 0;
    const client = {
      create: async () => {
        if (++calls === 1) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
        return { status: { token: 'after-reset', expirationTimestamp: new Date(Date.now() + 3600_000).toISOString() } };
      },
    } as unknown as ApiClient;
    const dir = tempDir();
    const p = new ServiceAccountProvider({ client, dir, apiServer: { url: 'https://h:6443', caPem: 'CA' } });
    await p.environment(pod('r', 'reader'));
    expect(calls).toBe(2);
    expect(readFileSync(join(dir, 'r-uid', 'token'), 'utf8')).toBe('after-reset');
    // Other failures are not repeated.
    calls = 10;
    const failing = { create: async () => { calls++; throw new ApiError(403, 'Forbidden', 'no'); } } as unknown as ApiClient;
    await expect(new ServiceAccountProvider({ client: failing, dir: tempDir(), apiServer: { url: 'https://h:6443', caPem: 'CA' } }).environment(pod('s', 'reader'))).rejects.toThrow(/no/);
    expect(calls).toBe(11);
  });
});
