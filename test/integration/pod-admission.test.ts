// Pod admission that reads other objects, against a real server: the Priority plugin's
// resolution of priorityClassName (and the system classes every cluster has), the
// ServiceAccount plugin's default account, and the RuntimeClass plugin's overhead and scheduling.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, Pod } from '../../src/api/types.js';
import { type ResourceDescriptor, podsResource, serviceAccountsResource } from '../../src/client/index.js';
import { apiClients, apiFailure, Cleanup, waitFor, type ApiClients } from '../helpers/index.js';
import { ns, startCluster, type Cluster } from './daemonset-harness.js';

const priorityClasses: ResourceDescriptor = { group: 'scheduling.k8s.io', version: 'v1', plural: 'priorityclasses', namespaced: false, kind: 'PriorityClass' };

const cleanup = new Cleanup();
let c: Cluster;
let api: ApiClients;

beforeAll(async () => {
  c = await startCluster(cleanup, false);
  api = apiClients(c.server.kubeconfigPath);
});
afterAll(() => cleanup.run());

const pod = (name: string, spec: Partial<Pod['spec']> = {}): Pod =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } }) as Pod;

describe('pod admission', () => {
  it('every cluster has the two system priority classes, which cannot be deleted', async () => {
    const list = await api.scheduling.listPriorityClass();
    const byName = new Map(list.items.map((p) => [p.metadata?.name, p]));
    expect(byName.get('system-node-critical')).toMatchObject({ value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' });
    expect(byName.get('system-node-critical')?.globalDefault).toBeFalsy();
    expect(byName.get('system-cluster-critical')).toMatchObject({ value: 2000000000 });
    const f = await apiFailure(api.scheduling.deletePriorityClass({ name: 'system-node-critical' }));
    expect(f.code).toBe(403);
    expect(f.status?.message).toBe('priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted');
  });

  it('resolves priorityClassName to its value and preemption policy; an unknown class or a contradicting priority is 403', async () => {
    const critical = await c.client.create<Pod>(podsResource, ns, pod('critical', { priorityClassName: 'system-node-critical' }));
    expect(critical.spec).toMatchObject({ priority: 2000001000, preemptionPolicy: 'PreemptLowerPriority' });
    const unknown = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: pod('lost', { priorityClassName: 'nope' }) as never }));
    expect([unknown.code, unknown.status?.reason, unknown.status?.message]).toEqual([403, 'Forbidden', 'pods "lost" is forbidden: no PriorityClass with name nope was found']);
    const contradicts = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: pod('liar', { priorityClassName: 'system-node-critical', priority: 5 }) as never }));
    expect(contradicts.code).toBe(403);
    expect(contradicts.status?.message).toBe('pods "liar" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 2000001000 from the given PriorityClass name');
    const generated = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: { ...pod(''), metadata: { generateName: 'gen-', namespace: ns }, spec: { ...pod('').spec, priorityClassName: 'nope' } } as never }));
    expect(generated.status?.message).toBe('pods "gen-" is forbidden: no PriorityClass with name nope was found');
    // An update that leaves out the priority and policy keeps them, as upstream's Priority admission;
    // one that changes the priority is refused by validation.
    const rebuilt = structuredClone(critical);
    delete (rebuilt.spec as { priority?: number }).priority;
    delete (rebuilt.spec as { preemptionPolicy?: string }).preemptionPolicy;
    rebuilt.metadata.labels = { relabeled: 'yes' };
    const updated = await c.client.update<Pod>(podsResource, ns, rebuilt);
    expect(updated.spec).toMatchObject({ priority: 2000001000, preemptionPolicy: 'PreemptLowerPriority' });
    expect(updated.metadata.labels).toEqual({ relabeled: 'yes' });
    const changed = await apiFailure(api.core.replaceNamespacedPod({ name: 'critical', namespace: ns, body: { ...updated, spec: { ...updated.spec, priority: 7 } } as never }));
    expect(changed.code).toBe(422);
  });

  it('a pod naming no class gets priority 0, or the global default class once one exists', async () => {
    const plain = await c.client.create<Pod>(podsResource, ns, pod('plain'));
    expect(plain.spec).toMatchObject({ priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
    expect(plain.spec.priorityClassName).toBeUndefined();
    await c.client.create<KubeObject>(priorityClasses, '', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'everyone' }, value: 1000, globalDefault: true, preemptionPolicy: 'Never' } as KubeObject);
    // Admission reads the default class at most once a second.
    const dflt = await waitFor(async () => {
      const p = await c.client.create<Pod>(podsResource, ns, { ...pod(''), metadata: { generateName: 'dflt-', namespace: ns } });
      return p.spec.priorityClassName === 'everyone' ? p : undefined;
    }, { message: 'a pod with the default class', timeoutMs: 5000 });
    expect(dflt.spec).toMatchObject({ priorityClassName: 'everyone', priority: 1000, preemptionPolicy: 'Never' });
    // Only one class may be the default.
    const second = await apiFailure(api.scheduling.createPriorityClass({ body: { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'second' }, value: 5, globalDefault: true } }));
    expect([second.code, second.status?.message]).toEqual([403, 'priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass everyone is already marked as default. Only one default can exist']);
  });

  it('runs a pod that names no account as default, and keeps serviceAccount and serviceAccountName equal', async () => {
    const plain = await c.client.create<Pod>(podsResource, ns, pod('sa-none'));
    expect(plain.spec).toMatchObject({ serviceAccountName: 'default', serviceAccount: 'default' });
    const old = await c.client.create<Pod>(podsResource, ns, pod('sa-old', { serviceAccount: 'builder' }));
    expect(old.spec).toMatchObject({ serviceAccountName: 'builder', serviceAccount: 'builder' });
    const named = await c.client.create<Pod>(podsResource, ns, pod('sa-named', { serviceAccountName: 'runner' }));
    expect(named.spec).toMatchObject({ serviceAccountName: 'runner', serviceAccount: 'runner' });
  });

  it('mounts the API token as upstream\'s kube-api-access volume unless the pod, or else its account, opts out', async () => {
    const withInit = pod('sa-mount', { initContainers: [{ name: 'init', image: 'busybox', volumeMounts: [{ name: 'own', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] }], volumes: [{ name: 'own', emptyDir: {} }] });
    const mounted = await c.client.create<Pod>(podsResource, ns, withInit);
    const volume = mounted.spec.volumes!.find((v) => v.name !== 'own')!;
    expect(volume.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(volume).toEqual({
      name: volume.name,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    });
    expect(mounted.spec.containers[0]!.volumeMounts).toEqual([{ name: volume.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    // A container that mounts something there itself keeps its own mount.
    expect(mounted.spec.initContainers![0]!.volumeMounts).toEqual([{ name: 'own', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    // The account opts out: no volume; the pod's own choice wins over its account's.
    await c.client.create<KubeObject>(serviceAccountsResource, ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'quiet', namespace: ns }, automountServiceAccountToken: false } as KubeObject);
    const quiet = await c.client.create<Pod>(podsResource, ns, pod('sa-quiet', { serviceAccountName: 'quiet' }));
    expect(quiet.spec.volumes).toBeUndefined();
    expect(quiet.spec.containers[0]!.volumeMounts).toBeUndefined();
    const insists = await c.client.create<Pod>(podsResource, ns, pod('sa-insists', { serviceAccountName: 'quiet', automountServiceAccountToken: true }));
    expect(insists.spec.volumes?.map((v) => v.name)).toEqual([expect.stringMatching(/^kube-api-access-/)]);
    const optedOut = await c.client.create<Pod>(podsResource, ns, pod('sa-opted-out', { automountServiceAccountToken: false }));
    expect(optedOut.spec.volumes).toBeUndefined();
  });
});

describe('RuntimeClass admission (client-node NodeV1Api)', () => {
  it('a pod gets its class\'s overhead, node selector and tolerations; an unknown class, a conflict or a stray overhead is 403', async () => {
    const nodeApi = api.kc.makeApiClient(k8s.NodeV1Api);
    const rc = await nodeApi.createRuntimeClass({
      body: {
        metadata: { name: 'sandboxed' },
        handler: 'kata',
        overhead: { podFixed: { cpu: '250m', memory: '120Mi' } },
        scheduling: { nodeSelector: { sandbox: 'kata' }, tolerations: [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }, { key: 'gpu', operator: 'Exists' }] },
      },
    });
    expect(rc.handler).toBe('kata');
    // The pod's own tolerations come first (with the 300 s ones DefaultTolerationSeconds added
    // before, as upstream's plugin order has it); one the class's covers is left out.
    const p = await c.client.create<Pod>(podsResource, ns, pod('kata-pod', { runtimeClassName: 'sandboxed', nodeSelector: { disk: 'ssd' }, tolerations: [{ key: 'gpu', operator: 'Equal', value: 'a100', effect: 'NoSchedule' }, { key: 'other', operator: 'Exists' }] }));
    expect(p.spec).toMatchObject({ overhead: { cpu: '250m', memory: '120Mi' }, nodeSelector: { disk: 'ssd', sandbox: 'kata' } });
    expect(p.spec.tolerations).toEqual([
      { key: 'other', operator: 'Exists' },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'gpu', operator: 'Exists' },
    ]);
    // The same overhead in other units is the class's own.
    await c.client.create<Pod>(podsResource, ns, pod('same-overhead', { runtimeClassName: 'sandboxed', overhead: { cpu: '0.25', memory: '120Mi' } } as never));
    const refused = async (body: Pod): Promise<[number, string | undefined, string | undefined]> => {
      const f = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: body as never }));
      return [f.code, f.status?.reason, f.status?.message];
    };
    expect(await refused(pod('lost', { runtimeClassName: 'nope' } as never))).toEqual([403, 'Forbidden', 'pods "lost" is forbidden: pod rejected: RuntimeClass "nope" not found']);
    expect(await refused(pod('clash', { runtimeClassName: 'sandboxed', nodeSelector: { sandbox: 'gvisor' } } as never))).toEqual([403, 'Forbidden', 'pods "clash" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[sandbox] = kata; pod.spec.nodeSelector[sandbox] = gvisor']);
    expect(await refused(pod('fat', { runtimeClassName: 'sandboxed', overhead: { cpu: '1' } } as never))).toEqual([403, 'Forbidden', 'pods "fat" is forbidden: pod rejected: Pod\'s Overhead doesn\'t match RuntimeClass\'s defined Overhead']);
    expect(await refused(pod('stray', { overhead: { cpu: '1' } } as never))).toEqual([403, 'Forbidden', 'pods "stray" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead']);
    for (const name of ['lost', 'clash', 'fat', 'stray']) expect((await apiFailure(api.core.readNamespacedPod({ name, namespace: ns }))).code).toBe(404);
    // A class without overhead or scheduling changes nothing but is still looked up.
    await nodeApi.createRuntimeClass({ body: { metadata: { name: 'plain' }, handler: 'runc' } });
    const plain = await c.client.create<Pod>(podsResource, ns, pod('plain-rc', { runtimeClassName: 'plain' } as never));
    expect([plain.spec.nodeSelector, plain.spec.tolerations?.length, (plain.spec as { overhead?: unknown }).overhead]).toEqual([undefined, 2, undefined]);
  });

  it('the handler is a DNS label and immutable; PUT creates a missing class and needs a resourceVersion to replace one', async () => {
    const nodeApi = api.kc.makeApiClient(k8s.NodeV1Api);
    const bad = await apiFailure(nodeApi.createRuntimeClass({ body: { metadata: { name: 'bad' }, handler: 'Not_A_Label', scheduling: { tolerations: [{ key: 'a', operator: 'Exists' }, { key: 'a', operator: 'Exists' }] } } }));
    expect(bad.code).toBe(422);
    expect(bad.status?.message).toContain('handler: Invalid value: "Not_A_Label": a lowercase RFC 1123 label must consist of');
    expect(bad.status?.message).toContain('scheduling.tolerations[1]: Duplicate value:');
    const created = await nodeApi.replaceRuntimeClass({ name: 'put-made', body: { metadata: { name: 'put-made' }, handler: 'runc' } });
    expect(created.handler).toBe('runc');
    const unconditional = await apiFailure(nodeApi.replaceRuntimeClass({ name: 'put-made', body: { metadata: { name: 'put-made' }, handler: 'runc' } }));
    expect(unconditional.code).toBe(422);
    const changed = await apiFailure(nodeApi.replaceRuntimeClass({ name: 'put-made', body: { metadata: { name: 'put-made', resourceVersion: created.metadata?.resourceVersion }, handler: 'crun' } }));
    expect(changed.code).toBe(422);
    expect(changed.status?.message).toBe('RuntimeClass.node.k8s.io "put-made" is invalid: handler: Invalid value: "crun": field is immutable');
  });
});
