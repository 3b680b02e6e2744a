// networking.k8s.io/v1 Ingress and IngressClass as an ingress controller (often a DaemonSet on
// every edge node) uses them, against the real server through client-node: it watches ingresses
// with an informer under the RBAC it ships with, reads its class, and reports addresses through
// /status. Also DefaultIngressClass admission (the newest default class wins; none: no class).

import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClients, apiFailure, Cleanup, startTestServer, waitFor, type ApiClients, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
let ts: TestServer;
let c: ApiClients;
let net: k8s.NetworkingV1Api;

beforeAll(async () => {
  ts = await startTestServer(cleanup);
  c = apiClients(ts.server.kubeconfigPath);
  net = c.kc.makeApiClient(k8s.NetworkingV1Api);
});
afterAll(() => cleanup.run());

const DEFAULT = 'ingressclass.kubernetes.io/is-default-class';

function ingress(name: string, extra: Partial<k8s.V1IngressSpec> = {}, annotations?: Record<string, string>): k8s.V1Ingress {
  return {
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: { rules: [{ host: `${name}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }], ...extra },
  };
}

/** A client that authenticates as `ns/account` with a TokenRequest token. */
async function clientAs(ns: string, account: string): Promise<k8s.KubeConfig> {
  const tr = await c.core.createNamespacedServiceAccountToken({ namespace: ns, name: account, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const cluster = c.kc.getCurrentCluster()!;
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({ clusters: [cluster], users: [{ name: account, token: tr.status!.token }], contexts: [{ name: account, cluster: cluster.name, user: account }], currentContext: account });
  return kc;
}

describe('DefaultIngressClass admission', () => {
  it('gives an ingress naming no class the default class, the newest of several; an explicit class or the old annotation is kept; updates are left alone', async () => {
    await c.core.createNamespace({ body: { metadata: { name: 'adm' } } });
    // No default class yet: the ingress has none.
    const none = await net.createNamespacedIngress({ namespace: 'adm', body: ingress('none') });
    expect(none.spec?.ingressClassName).toBeUndefined();
    await net.createIngressClass({ body: { metadata: { name: 'old-default', annotations: { [DEFAULT]: 'true' } }, spec: { controller: 'example.com/a' } } });
    await net.createIngressClass({ body: { metadata: { name: 'not-default', annotations: { [DEFAULT]: 'false' } }, spec: { controller: 'example.com/b' } } });
    expect((await net.createNamespacedIngress({ namespace: 'adm', body: ingress('one') })).spec?.ingressClassName).toBe('old-default');
    // Creation times have second resolution: the second default must be a second newer.
    await new Promise((r) => setTimeout(r, 1100));
    await net.createIngressClass({ body: { metadata: { name: 'new-default', annotations: { [DEFAULT]: 'true' } }, spec: { controller: 'example.com/c' } } });
    expect((await net.createNamespacedIngress({ namespace: 'adm', body: ingress('two') })).spec?.ingressClassName).toBe('new-default');
    expect((await net.createNamespacedIngress({ namespace: 'adm', body: ingress('explicit', { ingressClassName: 'not-default' }) })).spec?.ingressClassName).toBe('not-default');
    const annotated = await net.createNamespacedIngress({ namespace: 'adm', body: ingress('annotated', {}, { 'kubernetes.io/ingress.class': 'legacy' }) });
    expect(annotated.spec?.ingressClassName).toBeUndefined();
    // An update of the ingress made before any default keeps it without a class.
    const updated = await net.replaceNamespacedIngress({ namespace: 'adm', name: 'none', body: { ...none, metadata: { ...none.metadata, labels: { touched: 'yes' } } } });
    expect([updated.spec?.ingressClassName, updated.metadata?.labels]).toEqual([undefined, { touched: 'yes' }]);
    // A dry run is admitted the same way and stores nothing.
    const dry = await net.createNamespacedIngress({ namespace: 'adm', body: ingress('dry'), dryRun: 'All' });
    expect(dry.spec?.ingressClassName).toBe('new-default');
    expect((await apiFailure(net.readNamespacedIngress({ namespace: 'adm', name: 'dry' }))).code).toBe(404);
  });
});

describe('an ingress controller on the API', () => {
  it('watches ingresses with the RBAC it ships, reads its class, reports its address through /status and cannot change a spec', async () => {
    const ns = 'edge';
    await c.core.createNamespace({ body: { metadata: { name: ns } } });
    await c.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'controller' } } });
    // The rules ingress controllers publish: read ingresses and classes, write ingress status.
    await c.rbac.createClusterRole({
      body: {
        metadata: { name: 'edge-controller' },
        rules: [
          { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingressclasses'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update'] },
        ],
      },
    });
    await c.rbac.createClusterRoleBinding({
      body: { metadata: { name: 'edge-controller' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edge-controller' }, subjects: [{ kind: 'ServiceAccount', name: 'controller', namespace: ns }] },
    });
    await net.createIngressClass({ body: { metadata: { name: 'edge' }, spec: { controller: 'example.com/edge', parameters: { kind: 'ConfigMap', name: 'edge-config', scope: 'Namespace', namespace: ns } } } });
    await net.createNamespacedIngress({ namespace: ns, body: ingress('before', { ingressClassName: 'edge' }) });

    const kc = await clientAs(ns, 'controller');
    const asController = kc.makeApiClient(k8s.NetworkingV1Api);
    const cls = await asController.readIngressClass({ name: 'edge' });
    expect([cls.spec?.controller, cls.spec?.parameters?.scope, cls.metadata?.generation]).toEqual(['example.com/edge', 'Namespace', 1]);

    const seen: string[] = [];
    const informer = k8s.makeInformer(kc, '/apis/networking.k8s.io/v1/ingresses', () => asController.listIngressForAllNamespaces());
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${o.status?.loadBalancer?.ingress?.[0]?.ip ?? '-'}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    cleanup.defer(() => informer.stop(), 'ingress informer');
    await informer.start();
    await net.createNamespacedIngress({ namespace: ns, body: ingress('after', { ingressClassName: 'edge' }) });
    await waitFor(() => seen.includes('add after'), { message: 'the informer to see the new ingress' });
    expect(seen).toContain('add before');

    // The controller writes the address it serves at through /status, as controllers do with a PUT.
    const current = await asController.readNamespacedIngress({ namespace: ns, name: 'after' });
    current.status = { loadBalancer: { ingress: [{ ip: '192.0.2.7', ports: [{ port: 443, protocol: 'TCP' }] }] } };
    const written = await asController.replaceNamespacedIngressStatus({ namespace: ns, name: 'after', body: current });
    expect([written.status?.loadBalancer?.ingress?.[0]?.ip, written.metadata?.generation]).toEqual(['192.0.2.7', 1]);
    await waitFor(() => seen.includes('update after 192.0.2.7'), { message: 'the informer to see the status' });
    const cached = informer.get('after', ns);
    expect(cached?.status?.loadBalancer?.ingress?.[0]?.ports).toEqual([{ port: 443, protocol: 'TCP' }]);

    // A spec change through /status is dropped; the controller may not write the spec itself.
    current.metadata!.resourceVersion = written.metadata?.resourceVersion;
    current.spec!.rules![0]!.host = 'changed.example.com';
    const viaStatus = await asController.replaceNamespacedIngressStatus({ namespace: ns, name: 'after', body: current });
    expect(viaStatus.spec?.rules?.[0]?.host).toBe('after.example.com');
    expect((await apiFailure(asController.replaceNamespacedIngress({ namespace: ns, name: 'after', body: current }))).code).toBe(403);

    // An address that is no IP is refused with upstream's words and loses nothing.
    current.metadata!.resourceVersion = viaStatus.metadata?.resourceVersion;
    current.status = { loadBalancer: { ingress: [{ ip: 'lb.example.com' }] } };
    const refused = await apiFailure(asController.replaceNamespacedIngressStatus({ namespace: ns, name: 'after', body: current }));
    expect(refused.code).toBe(422);
    expect(refused.status?.message).toBe('Ingress.networking.k8s.io "after" is invalid: status.loadBalancer.ingress[0].ip: Invalid value: "lb.example.com": must be a valid IP address');
    expect((await net.readNamespacedIngress({ namespace: ns, name: 'after' })).status?.loadBalancer?.ingress?.[0]?.ip).toBe('192.0.2.7');

    // A spec change by its owner is a new generation, seen by the controller.
    const owned = await net.readNamespacedIngress({ namespace: ns, name: 'after' });
    owned.spec!.tls = [{ hosts: ['after.example.com'], secretName: 'after-tls' }];
    expect((await net.replaceNamespacedIngress({ namespace: ns, name: 'after', body: owned })).metadata?.generation).toBe(2);
    await waitFor(() => informer.get('after', ns)?.metadata?.generation === 2, { message: 'the informer to see generation 2' });

    await net.deleteNamespacedIngress({ namespace: ns, name: 'before' });
    await waitFor(() => seen.includes('delete before'), { message: 'the informer to see the delete' });
    expect(informer.list(ns).map((o) => o.metadata?.name)).toEqual(['after']);
  });
});
