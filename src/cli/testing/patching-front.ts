// A patching front for CLI tests: the fake API (fake-api.ts) behind a small HTTP server that
// applies PATCH requests of every type (strategic, merge, JSON) as the server does (api/patch
// with the kind's schema), keeps the results over the fake's objects, records each PATCH, and
// can refuse the next PATCHes with a given Status. Everything else passes through to the fake.
import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ApiError } from '../../api/errors.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../../api/patch/index.js';
import { resolveSchema, schemaFor } from '../../api/schema/index.js';
import type { KubeObject } from '../../api/types.js';
import type { FakeApi } from './fake-api.js';

export interface RecordedPatch {
  path: string;
  query: URLSearchParams;
  contentType: string;
  body: string;
}

/** The fake API with PATCH of every type (see the file comment). */
export class PatchingFront {
  readonly patches: RecordedPatch[] = [];
  /** Statuses the next PATCHes are answered with (first first). */
  readonly refusals: { code: number; status: object }[] = [];
  private readonly overlay = new Map<string, KubeObject>();

  private constructor(
    private readonly server: Server,
    private readonly api: FakeApi,
    readonly kubeconfigPath: string,
  ) {}

  static async start(api: FakeApi, dir: string): Promise<PatchingFront> {
    let front: PatchingFront | undefined;
    const server = createServer((req, res) => void front!.handle(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const kubeconfigPath = join(dir, 'front-kubeconfig.yaml');
    writeFileSync(kubeconfigPath, `apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: ${url}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: admin\ncurrent-context: fake\nusers:\n- name: admin\n  user:\n    token: ${api.token}\n`);
    front = new PatchingFront(server, api, kubeconfigPath);
    return front;
  }

  /** Forgets the recorded PATCHes and the refusals not used yet (between tests). */
  reset(): void {
    this.patches.length = 0;
    this.refusals.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }

  /** The object at `path` (a resource path, a subresource's is its object's) as the fake has it now. */
  private async current(path: string, auth: string): Promise<{ code: number; text: string }> {
    const kept = this.overlay.get(path);
    if (kept) return { code: 200, text: JSON.stringify(kept) };
    return this.forward('GET', path, { authorization: auth, accept: 'application/json' }, '');
  }

  private forward(method: string, path: string, headers: Record<string, string | string[] | undefined>, body: string): Promise<{ code: number; text: string; type?: string }> {
    return new Promise((resolve, reject) => {
      const u = new URL(this.api.url);
      const req = request({ host: u.hostname, port: u.port, method, path, headers: { ...headers, host: u.host } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ code: res.statusCode ?? 500, text, type: res.headers['content-type'] }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const c of req) body += (c as Buffer).toString('utf8');
    const u = new URL(req.url ?? '/', 'http://front');
    const objectPath = u.pathname.replace(/\/status$/, '');
    const auth = req.headers.authorization ?? '';
    const answer = (code: number, text: string): void => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(text);
    };
    if (req.method === 'PATCH') {
      const contentType = req.headers['content-type'] ?? '';
      this.patches.push({ path: u.pathname, query: u.searchParams, contentType, body });
      const refusal = this.refusals.shift();
      if (refusal) return answer(refusal.code, JSON.stringify(refusal.status));
      const cur = await this.current(objectPath, auth);
      if (cur.code !== 200) return answer(cur.code, cur.text);
      const obj = JSON.parse(cur.text) as KubeObject;
      try {
        let patch: unknown;
        try {
          patch = JSON.parse(body);
        } catch (e) {
          throw new ApiError(400, 'BadRequest', `error decoding patch: ${(e as Error).message}`);
        }
        const [group, version] = (obj.apiVersion ?? '').includes('/') ? (obj.apiVersion ?? '').split('/') : ['', obj.apiVersion ?? ''];
        const patched = (contentType.startsWith('application/json-patch')
          ? applyJsonPatch(obj, patch)
          : contentType.startsWith('application/merge-patch')
            ? applyMergePatch(obj, patch)
            : applyStrategicMergePatch(obj, patch, schemaFor({ group: group ?? '', version: version ?? '', kind: obj.kind ?? '' }), resolveSchema)) as KubeObject;
        const same = JSON.stringify(patched) === JSON.stringify(obj);
        const stored = same ? obj : { ...patched, metadata: { ...patched.metadata, resourceVersion: String(Number(obj.metadata.resourceVersion ?? '0') + 1) } };
        if (u.searchParams.get('dryRun') !== 'All') this.overlay.set(objectPath, stored);
        return answer(200, JSON.stringify(stored));
      } catch (e) {
        if (e instanceof ApiError) return answer(e.code, JSON.stringify(e.toStatus()));
        throw e;
      }
    }
    if (req.method === 'GET' && this.overlay.has(objectPath)) return answer(200, JSON.stringify(this.overlay.get(objectPath)));
    const f = await this.forward(req.method ?? 'GET', `${u.pathname}${u.search}`, req.headers, body);
    res.writeHead(f.code, { 'Content-Type': f.type ?? 'application/json' });
    res.end(f.text);
  }
}
