// A fake Kubernetes API over plain HTTP for in-process tests of the CLI verbs (runCli), where a
// real server would be slow or could not reach a state on demand (a crash-looping pod, logs
// with given text, no metrics, a refused token).
//
// It serves: discovery (/api, /apis, core v1, apps/v1, metrics.k8s.io/v1beta1, with the `all`
// category on pods, services and daemonsets as the real server); objects held in memory (list
// with equality label selectors and metadata.name field selectors, get, delete, Tables when the
// Accept asks for one: NAME (format name) and KIND columns, the rows' objects metadata only
// unless includeObject=Object); `pods/<name>/log` from `logs`; watches that send `watchEvents`
// and end (or stay open: holdWatches); PATCH of metadata labels/annotations (merge patch);
// 401 for any other bearer token than `token`.
// Every request is recorded (with the body of a DELETE or PATCH). Not a server: no validation;
// every list answers the next resourceVersion of a counter (so a test can tell which list a
// watch started from); no writes but delete and that PATCH, neither with dryRun (query
// dryRun=All, or dryRun [All] in a DELETE body). Every answer carries a `Warning` header per
// entry of `warnings`. A kubeconfig for it is written to the directory given to start().

import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { KubeObject } from '../../api/types.js';

interface FakeResource {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
}

const resources: FakeResource[] = [
  { group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'] },
  { group: '', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'] },
  { group: '', version: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'] },
  { group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'] },
  { group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'] },
  { group: 'apps', version: 'v1', plural: 'daemonsets', singular: 'daemonset', kind: 'DaemonSet', namespaced: true, shortNames: ['ds'], categories: ['all'] },
  { group: 'apps', version: 'v1', plural: 'controllerrevisions', singular: 'controllerrevision', kind: 'ControllerRevision', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', singular: 'clusterrole', kind: 'ClusterRole', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', singular: 'rolebinding', kind: 'RoleBinding', namespaced: true },
  { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', singular: 'poddisruptionbudget', kind: 'PodDisruptionBudget', namespaced: true, shortNames: ['pdb'] },
  { group: 'metrics.k8s.io', version: 'v1beta1', plural: 'nodes', singular: 'node', kind: 'NodeMetrics', namespaced: false },
  { group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods', singular: 'pod', kind: 'PodMetrics', namespaced: true },
];

const gv = (r: Pick<FakeResource, 'group' | 'version'>): string => (r.group ? `${r.group}/${r.version}` : r.version);

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  accept: string;
  /** The body of a DELETE or PATCH. */
  body?: string;
}

function status(code: number, reason: string, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** `a=b,c!=d,e`: the equality subset of label selectors. */
function matchesLabels(o: KubeObject, selector: string | null): boolean {
  if (!selector) return true;
  const labels = o.metadata.labels ?? {};
  return selector.split(',').every((term) => {
    const ne = /^([^!=]+)!=(.*)$/.exec(term);
    if (ne) return labels[ne[1]!] !== ne[2];
    const eq = /^([^=]+)==?(.*)$/.exec(term);
    if (eq) return labels[eq[1]!] === eq[2];
    return term.startsWith('!') ? !(term.slice(1) in labels) : term in labels;
  });
}

function matchesFields(o: KubeObject, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const m = /^metadata\.name=(.*)$/.exec(term);
    return m ? o.metadata.name === m[1] : true;
  });
}

export class FakeApi {
  readonly requests: RecordedRequest[] = [];
  /** Log text of `<namespace>/<pod>/<container>`. */
  readonly logs = new Map<string, string>();
  /** What every watch sends (`{ type, object }`); then it ends, or stays open with holdWatches. */
  watchEvents: { type: string; object: unknown }[] = [];
  holdWatches = false;
  /** Texts sent as `Warning: 299 - "<text>"` headers on every answer. */
  warnings: string[] = [];
  readonly token = 'fake-admin-token';
  /** The resourceVersion of the last list answered. */
  listRevision = 0;
  private readonly objects = new Map<FakeResource, KubeObject[]>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly kubeconfigPath: string,
  ) {}

  /** Listens on 127.0.0.1 (a free port) and writes `<dir>/kubeconfig.yaml` for it. */
  static async start(dir: string, opts: { token?: string } = {}): Promise<FakeApi> {
    let api: FakeApi | undefined;
    const server = createServer((req, res) => api!.handle(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const kubeconfigPath = join(dir, 'kubeconfig.yaml');
    api = new FakeApi(server, url, kubeconfigPath);
    const token = opts.token ?? api.token;
    writeFileSync(
      kubeconfigPath,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: ${url}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: admin\ncurrent-context: fake\nusers:\n- name: admin\n  user:\n    token: ${token}\n`,
    );
    return api;
  }

  /** Stores objects (their resource from apiVersion and kind); namespaced ones default to `default`. */
  add(...objects: KubeObject[]): this {
    for (const o of objects) {
      const r = resources.find((x) => gv(x) === o.apiVersion && x.kind === o.kind);
      if (!r) throw new Error(`fake API: no resource for ${o.apiVersion ?? ''} ${o.kind ?? ''}`);
      const stored: KubeObject = { ...o, metadata: { ...o.metadata, ...(r.namespaced ? { namespace: o.metadata.namespace ?? 'default' } : {}) } };
      this.objects.set(r, [...(this.objects.get(r) ?? []), stored]);
    }
    return this;
  }

  /** Requests for `pathPrefix` (e.g. `/api/v1/namespaces/default/pods/a/log`). */
  requestsTo(pathPrefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(pathPrefix));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const u = new URL(req.url ?? '/', this.url);
    const accept = req.headers.accept ?? '';
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, accept };
    this.requests.push(recorded);
    if (this.warnings.length > 0) res.setHeader('Warning', this.warnings.map((w) => `299 - ${JSON.stringify(w)}`));
    const json = (code: number, body: unknown): void => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) return json(401, status(401, 'Unauthorized', 'Unauthorized'));
    const path = u.pathname;
    if (path === '/api') return json(200, { kind: 'APIVersions', versions: ['v1'] });
    if (path === '/apis') {
      const groups = [...new Set(resources.filter((r) => r.group).map(gv))].map((v) => ({ name: v.split('/')[0], versions: [{ groupVersion: v, version: v.split('/')[1] }], preferredVersion: { groupVersion: v, version: v.split('/')[1] } }));
      return json(200, { kind: 'APIGroupList', groups });
    }
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/(.*))?$/.exec(path);
    if (!m) return json(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const group = m[2] ?? '';
    const version = m[1] ?? m[3]!;
    let segs = (m[4] ?? '').split('/').filter((x) => x !== '').map(decodeURIComponent);
    if (segs.length === 0) {
      const list = resources.filter((r) => r.group === group && r.version === version);
      const docs = list.flatMap((r) => [
        { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'list', 'watch', 'delete'], shortNames: r.shortNames, categories: r.categories },
        ...(r.kind === 'Pod' ? [{ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] }] : []),
      ]);
      return json(200, { kind: 'APIResourceList', groupVersion: gv({ group, version }), resources: docs });
    }
    let ns: string | undefined;
    if (segs[0] === 'namespaces' && segs.length >= 3) {
      ns = segs[1];
      segs = segs.slice(2);
    }
    const [plural, name, sub] = segs;
    const r = resources.find((x) => x.group === group && x.version === version && x.plural === plural);
    if (!r) return json(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const qualified = r.group ? `${r.plural}.${r.group}` : r.plural;
    const all = this.objects.get(r) ?? [];
    const inNs = all.filter((o) => ns === undefined || o.metadata.namespace === ns);
    const asTable = accept.includes('as=Table');
    const whole = u.searchParams.get('includeObject') === 'Object';
    const table = (items: KubeObject[], withColumns: boolean, rv = ''): object => ({
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: rv },
      columnDefinitions: withColumns ? [{ name: 'Name', type: 'string', format: 'name', priority: 0 }, { name: 'Kind', type: 'string', format: '', priority: 0 }] : null,
      rows: items.map((o) => ({ cells: [o.metadata.name, o.kind], object: whole ? o : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } })),
    });
    if (name === undefined) {
      if (req.method !== 'GET') return json(405, status(405, 'MethodNotAllowed', 'not supported by the fake'));
      if (u.searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        for (const ev of this.watchEvents) res.write(JSON.stringify(ev) + '\n');
        if (!this.holdWatches) res.end();
        return;
      }
      const items = inNs.filter((o) => matchesLabels(o, u.searchParams.get('labelSelector')) && matchesFields(o, u.searchParams.get('fieldSelector')));
      const rv = String(++this.listRevision);
      if (asTable) return json(200, table(items, true, rv));
      return json(200, { kind: `${r.kind}List`, apiVersion: gv(r), metadata: { resourceVersion: rv }, items });
    }
    const obj = inNs.find((o) => o.metadata.name === name);
    if (!obj) return json(404, { ...status(404, 'NotFound', `${qualified} "${name}" not found`), details: { name, group: r.group, kind: r.plural } });
    if (sub === 'log') {
      const text = this.logs.get(`${ns ?? ''}/${name}/${u.searchParams.get('container') ?? ''}`);
      if (text === undefined) return json(400, status(400, 'BadRequest', `container ${u.searchParams.get('container') ?? ''} is not valid for pod ${name}`));
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(text);
      return;
    }
    if (req.method === 'DELETE') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        recorded.body = body;
        const opts = (body ? JSON.parse(body) : {}) as { dryRun?: string[] };
        const dry = u.searchParams.get('dryRun') === 'All' || (opts.dryRun ?? []).includes('All');
        if (!dry) this.objects.set(r, all.filter((o) => o !== obj));
        json(200, obj);
      });
      return;
    }
    if (req.method === 'PATCH') {
      // A merge patch of metadata maps (labels, annotations) only.
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        recorded.body = body;
        if (u.searchParams.get('dryRun') === 'All') return json(200, obj);
        const patch = JSON.parse(body) as { metadata?: Record<string, Record<string, string | null>> };
        const meta: Record<string, unknown> = { ...obj.metadata };
        for (const [field, changes] of Object.entries(patch.metadata ?? {})) {
          const cur = { ...((meta[field] as Record<string, string> | undefined) ?? {}) };
          for (const [k, v] of Object.entries(changes)) {
            if (v === null) delete cur[k];
            else cur[k] = v;
          }
          meta[field] = cur;
        }
        const updated = { ...obj, metadata: meta } as KubeObject;
        this.objects.set(r, all.map((o) => (o === obj ? updated : o)));
        json(200, updated);
      });
      return;
    }
    return json(200, asTable ? table([obj], true) : obj);
  }
}
