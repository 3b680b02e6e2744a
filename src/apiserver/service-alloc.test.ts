// Service cluster IP and node port allocation through the registry (MemoryStore).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import { newKindRegistry } from '../api/kinds.js';
import { MemoryStore } from '../storage/memory/index.js';
import { realClock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import type { WriteQuery } from './query.js';
import { RestRegistry } from './registry.js';
import { ServiceAllocator } from './service-alloc.js';

const kinds = newKindRegistry();
const namespaces = kinds.byResource('', 'v1', 'namespaces')!;
const services = kinds.byResource('', 'v1', 'services')!;
const q: WriteQuery = { dryRun: false, fieldManager: 'test', fieldValidation: 'Strict', force: false };
const dry: WriteQuery = { ...q, dryRun: true };

let reg: RestRegistry;
/** The allocator's random source: 0 always starts at the first free value (deterministic). */
let rnd = 0;

beforeEach(async () => {
  rnd = 0;
  const store = new MemoryStore();
  reg = new RestRegistry({ store, clock: realClock, kinds, logger: silentLogger, serviceAllocator: new ServiceAllocator({ store, services, random: () => rnd }) });
  await reg.create(namespaces, undefined, { metadata: { name: 'default' } }, q);
});
afterEach(() => reg.stop());

type Spec = Record<string, any>;
const svc = (name: string, spec: Spec) => JSON.parse(JSON.stringify({ metadata: { name }, spec: { selector: { app: 'a' }, ports: [{ port: 80 }], ...spec } }));
const create = async (name: string, spec: Spec, query = q): Promise<Spec> => JSON.parse((await reg.create(services, 'default', svc(name, spec), query)).json).spec;
async function refused(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).code).toBe(422);
  return (err as ApiError).message;
}

describe('cluster IPs', () => {
  it('are allocated from 10.96.0.0/12, upper band first, distinct; headless and ExternalName get none', async () => {
    const a = await create('a', {});
    const b = await create('b', {});
    expect(a.clusterIP).toBe('10.96.1.0'); // offset 256 of the /12: the lower band is for asked-for addresses
    expect(a.clusterIPs).toEqual([a.clusterIP]);
    expect(b.clusterIP).toBe('10.96.1.1');
    rnd = 0.5;
    expect((await create('c', {})).clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\./);
    const headless = await create('h', { clusterIP: 'None' });
    expect([headless.clusterIP, headless.clusterIPs]).toEqual(['None', ['None']]);
    const ext = await create('x', { type: 'ExternalName', externalName: 'example.com', selector: undefined, ports: undefined });
    expect(ext.clusterIP).toBeUndefined();
    // Headless without a selector takes both families even on this single-stack cluster, as upstream's allocator allows.
    const manual = await create('m', { clusterIP: 'None', selector: undefined });
    expect([manual.ipFamilyPolicy, manual.ipFamilies]).toEqual(['RequireDualStack', ['IPv4', 'IPv6']]);
    // Anything else asking for dual-stack is refused.
    expect(await refused(create('d', { ipFamilyPolicy: 'RequireDualStack' }))).toContain('this cluster is not configured for dual-stack services');
  });

  it('an address asked for must be in the range and free, with upstream\'s messages', async () => {
    expect((await create('fixed', { clusterIP: '10.96.0.10' })).clusterIPs).toEqual(['10.96.0.10']);
    expect(await refused(create('again', { clusterIP: '10.96.0.10' }))).toBe(
      'Service "again" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.10"]: failed to allocate IP 10.96.0.10: provided IP is already allocated',
    );
    expect(await refused(create('out', { clusterIP: '192.168.0.1' }))).toContain(
      'failed to allocate IP 192.168.0.1: the provided IP (192.168.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    );
    expect(await refused(create('net', { clusterIP: '10.96.0.0' }))).toContain('is not in the valid range');
    // Deleting a service frees its address.
    await reg.delete(services, 'default', 'fixed', { dryRun: false } as never);
    expect((await create('again', { clusterIP: '10.96.0.10' })).clusterIP).toBe('10.96.0.10');
  });

  it('concurrent creates never get the same address', async () => {
    const specs = await Promise.all(Array.from({ length: 20 }, (_, i) => create(`p${i}`, {})));
    expect(new Set(specs.map((s) => s.clusterIP)).size).toBe(20);
  });

  it('a dry run shows an address without reserving it', async () => {
    const shown = await create('d', {}, dry);
    expect(shown.clusterIP).toBe('10.96.1.0');
    expect((await create('real', {})).clusterIP).toBe('10.96.1.0');
  });
});

describe('node ports', () => {
  it('NodePort services get a port per service port in 30000-32767; asked ports must be free and in range', async () => {
    const np = await create('np', { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }] });
    expect(np.ports.map((p: Spec) => p.nodePort)).toEqual([30000, 30001]);
    expect(await refused(create('taken', { type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] }))).toContain('spec.ports[0].nodePort: Invalid value: 30001: provided port is already allocated');
    expect(await refused(create('low', { type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] }))).toContain(
      'spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    const lb = await create('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
    expect(lb.ports[0].nodePort).toBe(30002);
    expect(lb.healthCheckNodePort).toBe(30003);
    const noPorts = await create('lb2', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false });
    expect(noPorts.ports[0].nodePort).toBeUndefined();
  });

  it('an update that leaves allocated values out keeps them; type changes allocate and release', async () => {
    const first = await create('u', { type: 'NodePort', ports: [{ name: 'web', port: 80 }] });
    // A replace from the original manifest (no clusterIP, no nodePort): nothing changes.
    const replaced = JSON.parse((await reg.update(services, 'default', 'u', undefined, svc('u', { type: 'NodePort', ports: [{ name: 'web', port: 80 }] }), q)).json).spec;
    expect([replaced.clusterIP, replaced.ports[0].nodePort]).toEqual([first.clusterIP, first.ports[0].nodePort]);
    // To ClusterIP: the node port goes, and another service may take it.
    const plain = JSON.parse((await reg.patch(services, 'default', 'u', undefined, 'merge', JSON.stringify({ spec: { type: 'ClusterIP' } }), q)).json).spec;
    expect(plain.ports[0].nodePort).toBeUndefined();
    expect(plain.clusterIP).toBe(first.clusterIP);
    expect((await create('v', { type: 'NodePort', ports: [{ port: 80, nodePort: first.ports[0].nodePort }] })).ports[0].nodePort).toBe(first.ports[0].nodePort);
    // Back to NodePort: a new port is allocated.
    const again = JSON.parse((await reg.patch(services, 'default', 'u', undefined, 'merge', JSON.stringify({ spec: { type: 'NodePort' } }), q)).json).spec;
    expect(again.ports[0].nodePort).toBe(30001);
    // ExternalName to ClusterIP gets an address.
    await create('e', { type: 'ExternalName', externalName: 'example.com', selector: undefined, ports: undefined });
    const e = JSON.parse((await reg.patch(services, 'default', 'e', undefined, 'merge', JSON.stringify({ spec: { type: 'ClusterIP', externalName: null, ports: [{ port: 80 }] } }), q)).json).spec;
    expect(e.clusterIP).toMatch(/^10\.96\./);
  });
});

describe('from review', () => {
  it('a pick never lands on a node port the Service keeps; same-number ports share one; LoadBalancers without allocation still have asked ports checked', async () => {
    // Every port of the range but two is this Service's own (kept) ports.
    const many = Array.from({ length: 20 }, (_, i) => ({ name: `p${i}`, port: 1000 + i, nodePort: 30000 + i }));
    await create('many', { type: 'NodePort', ports: many });
    const patched = JSON.parse((await reg.patch(services, 'default', 'many', undefined, 'json', JSON.stringify([{ op: 'add', path: '/spec/ports/-', value: { name: 'extra', port: 9999 } }]), q)).json).spec;
    const nodePorts = patched.ports.map((p: Spec) => p.nodePort);
    expect(new Set(nodePorts).size).toBe(21);
    expect(patched.ports[20].nodePort).toBe(30020);
    const dns = await create('dns', { type: 'NodePort', ports: [{ name: 'udp', port: 53, protocol: 'UDP' }, { name: 'tcp', port: 53, protocol: 'TCP' }] });
    expect(dns.ports[0].nodePort).toBe(dns.ports[1].nodePort);
    const dns2 = await create('dns2', { type: 'NodePort', ports: [{ name: 'udp', port: 53, protocol: 'UDP', nodePort: 31053 }, { name: 'tcp', port: 53, protocol: 'TCP', nodePort: 31053 }] });
    expect(dns2.ports.map((p: Spec) => p.nodePort)).toEqual([31053, 31053]);
    expect(await refused(create('lbnoalloc', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ name: 'a', port: 80, nodePort: 31053 }, { name: 'b', port: 81, nodePort: 80 }] }))).toContain(
      'spec.ports[0].nodePort: Invalid value: 31053: provided port is already allocated, spec.ports[1].nodePort: Invalid value: 80: provided port is not in the valid range',
    );
  });

  it('clusterIP and clusterIPs agree; dual-stack asks are refused on this single-stack cluster', async () => {
    expect(await refused(create('mismatch', { clusterIP: '10.96.0.70', clusterIPs: ['10.96.0.71'] }))).toContain('spec.clusterIPs: Invalid value: ["10.96.0.71"]: first value must match `clusterIP`');
    expect(await refused(create('plural', { clusterIPs: ['10.96.0.80'] }))).toContain('must be empty when `clusterIP` is not specified');
    expect(await refused(create('none2', { clusterIP: 'None', clusterIPs: ['None', '10.96.0.9'] }))).toContain("'None' must be the first and only value");
    expect(await refused(create('hnp', { type: 'NodePort', clusterIP: 'None' }))).toContain("spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services");
    expect(await refused(create('dual', { ipFamilyPolicy: 'RequireDualStack' }))).toContain('spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services');
    expect(await refused(create('v6', { ipFamilies: ['IPv6'] }))).toContain('spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster');
    expect((await create('prefer', { ipFamilyPolicy: 'PreferDualStack' })).clusterIPs).toHaveLength(1);
    // Changing clusterIPs after create is the immutable clusterIP's change.
    const c = await create('c', { clusterIP: '10.96.0.90' });
    expect(c.clusterIPs).toEqual(['10.96.0.90']);
    const err = await reg.patch(services, 'default', 'c', undefined, 'merge', JSON.stringify({ spec: { clusterIPs: ['10.96.0.91'] } }), q).then(() => undefined, (e: unknown) => e);
    expect((err as ApiError).code).toBe(422);
    // An empty selector is no selector (Go drops the empty map).
    const empty = await create('emptysel', { selector: {} });
    expect(empty.selector).toBeUndefined();
  });
});
