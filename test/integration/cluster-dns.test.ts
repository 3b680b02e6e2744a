// The cluster DNS against a real server (SQLite store, the in-process controllers) and a real
// resolver client (Node's c-ares `dns.Resolver`, over UDP and, for large answers, TCP): a headless
// Service with a DaemonSet's selector resolves to one address per daemon and follows
// readiness and deletion; SRV records name each daemon; cluster IP and ExternalName Services;
// endpoints come from EndpointSlices (hand-written ones too, and those mirrored from a
// selectorless Service's Endpoints); names outside the zone are forwarded to an upstream
// resolver (a second server's cluster DNS).

import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../src/api/types.js';
import { daemonSetsResource, endpointSlicesResource, endpointsResource, podsResource, servicesResource } from '../../src/client/index.js';
import type { Endpoints, Service } from '../../src/controllers/endpoints/index.js';
import type { EndpointSlice } from '../../src/controllers/endpointslice/index.js';
import { encodeQuery, RRType } from '../../src/dns/index.js';
import { Cleanup, waitFor } from '../helpers/index.js';
import { makeDaemonSet, ns, startCluster, startHostNetworkNodes, type Cluster } from './daemonset-harness.js';

const cleanup = new Cleanup();
let c: Cluster;
let upstream: Cluster;
let resolver: Resolver;
let dnsPort = 0;
const nodes = ['dns-node-1', 'dns-node-2', 'dns-node-3'];
const nodeIP = (node: string) => `10.30.0.${nodes.indexOf(node) + 1}`;

const service = (name: string, spec: Service['spec']): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec });

/** One raw UDP exchange (for what the resolver library hides: flags, malformed queries). */
function udpExchange(msg: Buffer, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('message', (b) => {
      clearTimeout(timer);
      s.close();
      resolve(b);
    });
    s.send(msg, dnsPort, '127.0.0.1');
  });
}

beforeAll(async () => {
  // The upstream: another server whose cluster DNS serves the zone upstream.test.
  upstream = await startCluster(cleanup, false, undefined, { clusterDns: { listen: '127.0.0.1:0', domain: 'upstream.test' } });
  await upstream.client.create<Service>(servicesResource, ns, service('far', { clusterIP: '10.96.7.7', ports: [{ port: 80 }] }));
  c = await startCluster(cleanup, undefined, undefined, { clusterDns: { listen: '127.0.0.1:0', upstreams: [upstream.server.clusterDns!.address] } });
  dnsPort = c.server.clusterDns!.port;
  resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([c.server.clusterDns!.address]);
  await startHostNetworkNodes(c, cleanup, nodes, nodeIP);
});
afterAll(() => cleanup.run());

/** Resolves `name` (A) or gives the resolver's error code. */
const a4 = (name: string) => resolver.resolve4(name).then((ips) => [...ips].sort(), (e: NodeJS.ErrnoException) => e.code ?? 'error');

describe('cluster DNS', () => {
  it('resolves a headless Service with a DaemonSet\'s selector to one address per daemon, and names each in SRV records', async () => {
    const ds = makeDaemonSet('reporter');
    ds.spec.template.spec.hostNetwork = true;
    ds.spec.template.spec.containers[0]!.ports = [{ name: 'metrics', containerPort: 9100, protocol: 'TCP' }];
    await c.client.create(daemonSetsResource, ns, ds);
    await c.client.create<Service>(servicesResource, ns, service('reporter', { clusterIP: 'None', selector: { app: 'reporter' }, ports: [{ name: 'metrics', port: 9100, targetPort: 'metrics' }] }));
    const all = nodes.map(nodeIP).sort();
    await waitFor(async () => JSON.stringify(await a4('reporter.default.svc.cluster.local')) === JSON.stringify(all) || undefined, { message: 'three daemons resolved' });
    const srv = await resolver.resolveSrv('_metrics._tcp.reporter.default.svc.cluster.local');
    expect(srv.map((r) => [r.name, r.port]).sort()).toEqual(all.map((ip) => [`${ip.replace(/\./g, '-')}.reporter.default.svc.cluster.local`, 9100]));
    expect(await a4(srv[0]!.name)).toEqual([srv[0]!.name.split('.')[0]!.replace(/-/g, '.')]);
    expect(await a4('nothing.default.svc.cluster.local')).toBe('ENOTFOUND');
  });

  it('drops a daemon that is not ready and answers NXDOMAIN when the DaemonSet is gone', async () => {
    const pods = await c.client.list<Pod>(podsResource, { namespace: ns, labelSelector: 'app=reporter' });
    const first = pods.items.find((p) => p.spec.nodeName === nodes[0])!;
    const conditions = (first.status?.conditions ?? []).map((x) => (x.type === 'Ready' ? { ...x, status: 'False' } : x));
    await c.client.patch(podsResource, ns, first.metadata.name!, 'merge', { status: { conditions } }, { subresource: 'status' });
    const rest = nodes.slice(1).map(nodeIP).sort();
    await waitFor(async () => JSON.stringify(await a4('reporter.default.svc.cluster.local')) === JSON.stringify(rest) || undefined, { message: 'the not-ready daemon left the answer' });
    await c.client.delete(daemonSetsResource, ns, 'reporter');
    await waitFor(async () => (await a4('reporter.default.svc.cluster.local')) === 'ENOTFOUND' || undefined, { message: 'NXDOMAIN once no daemon is left' });
  });

  it('answers a cluster IP Service with its address, an ExternalName one with a CNAME, and refuses nothing in between', async () => {
    const web = await c.client.create<Service>(servicesResource, ns, service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] }));
    await c.client.create<Service>(servicesResource, ns, service('alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }));
    await waitFor(async () => (await a4('web.default.svc.cluster.local'))[0] === web.spec!.clusterIP || undefined, { message: 'the cluster IP resolved' });
    expect(await resolver.resolveCname('alias.default.svc.cluster.local')).toEqual(['web.default.svc.cluster.local']);
    expect(await a4('alias.default.svc.cluster.local')).toEqual([web.spec!.clusterIP]);
    expect(await resolver.resolveSrv('_http._tcp.web.default.svc.cluster.local')).toEqual([{ name: 'web.default.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
    expect(await resolver.reverse(web.spec!.clusterIP!)).toEqual(['web.default.svc.cluster.local']);
    expect(await resolver.resolveTxt('dns-version.cluster.local')).toEqual([['1.1.0']]);
  });

  it('reads a Service\'s EndpointSlices, those written by hand too, as CoreDNS: ready unless ready is false, every slice', async () => {
    await c.client.create<Service>(servicesResource, ns, service('handmade', { clusterIP: 'None', ports: [{ name: 'db', port: 5432 }] }));
    const slice = (name: string, endpoints: EndpointSlice['endpoints']): EndpointSlice => ({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': 'handmade' } },
      addressType: 'IPv4', endpoints, ports: [{ name: 'db', port: 5432, protocol: 'TCP' }],
    });
    await c.client.create<EndpointSlice>(endpointSlicesResource, ns, slice('handmade-a', [
      { addresses: ['10.50.0.1'], conditions: { ready: true } },
      { addresses: ['10.50.0.2'], conditions: { ready: false, serving: true, terminating: true } },
      { addresses: ['10.50.0.3'], hostname: 'primary' },
    ]));
    await c.client.create<EndpointSlice>(endpointSlicesResource, ns, slice('handmade-b', [{ addresses: ['10.50.0.4'] }]));
    const want = ['10.50.0.1', '10.50.0.3', '10.50.0.4'];
    await waitFor(async () => JSON.stringify(await a4('handmade.default.svc.cluster.local')) === JSON.stringify(want) || undefined, { message: 'the hand-written slices resolved' });
    expect(await a4('primary.handmade.default.svc.cluster.local')).toEqual(['10.50.0.3']);
    expect(await a4('10-50-0-2.handmade.default.svc.cluster.local')).toBe('ENOTFOUND');
    const srv = await resolver.resolveSrv('_db._tcp.handmade.default.svc.cluster.local');
    expect(srv.map((r) => r.name).sort()).toEqual(['10-50-0-1.handmade.default.svc.cluster.local', '10-50-0-4.handmade.default.svc.cluster.local', 'primary.handmade.default.svc.cluster.local']);
    expect(await resolver.reverse('10.50.0.3')).toEqual(['primary.handmade.default.svc.cluster.local']);
    await c.client.delete(endpointSlicesResource, ns, 'handmade-a');
    await waitFor(async () => JSON.stringify(await a4('handmade.default.svc.cluster.local')) === JSON.stringify(['10.50.0.4']) || undefined, { message: 'a deleted slice left the answer' });
  });

  it('gives a large answer over TCP when it does not fit UDP', async () => {
    const ips = Array.from({ length: 120 }, (_, i) => `10.40.${Math.floor(i / 100)}.${(i % 100) + 1}`);
    await c.client.create<Service>(servicesResource, ns, service('many', { clusterIP: 'None', ports: [{ port: 7000 }] }));
    await c.client.create<Endpoints>(endpointsResource, ns, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'many', namespace: ns }, subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ port: 7000 }] }] });
    const query = encodeQuery(77, 'many.default.svc.cluster.local', RRType.A);
    await waitFor(async () => ((await udpExchange(query)).readUInt16BE(6) > 0 ? true : undefined), { message: 'the Endpoints reached the DNS cache' });
    const udp = await udpExchange(query);
    expect(udp.readUInt16BE(0)).toBe(77);
    expect(udp.readUInt16BE(2) & 0x0200).toBe(0x0200); // TC: cut to 512 bytes
    expect(udp.readUInt16BE(6)).toBeLessThan(120);
    expect(await a4('many.default.svc.cluster.local')).toEqual([...ips].sort());
  });

  it('forwards names outside the zone to the upstream resolver', async () => {
    expect(await a4('far.default.svc.upstream.test')).toEqual(['10.96.7.7']);
    expect(await a4('near.default.svc.upstream.test')).toBe('ENOTFOUND');
  });

  it('answers an ExternalName to a name outside the zone with the CNAME and the upstream\'s addresses of its target, as CoreDNS', async () => {
    await c.client.create<Service>(servicesResource, ns, service('outside', { type: 'ExternalName', externalName: 'far.default.svc.upstream.test' }));
    await waitFor(async () => ((await a4('outside.default.svc.cluster.local')) instanceof Array ? true : undefined), { message: 'the ExternalName resolved' });
    expect(await a4('outside.default.svc.cluster.local')).toEqual(['10.96.7.7']);
    const answer = await udpExchange(encodeQuery(78, 'outside.default.svc.cluster.local', RRType.A));
    expect(answer.readUInt16BE(6)).toBe(2); // the CNAME, then the target's A record
  });

  it('answers a malformed query FORMERR with its id, and a response with nothing', async () => {
    const bad = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    const answer = await udpExchange(bad);
    expect(answer.readUInt16BE(0)).toBe(0xabcd);
    expect(answer.readUInt16BE(2) & 0x800f).toBe(0x8001);
    const response = encodeQuery(5, 'web.default.svc.cluster.local', RRType.A);
    response.writeUInt16BE(0x8100, 2);
    await expect(udpExchange(response, 500)).rejects.toThrow('no answer');
  });
});
