import { describe, expect, it } from 'vitest';
import type { Endpoints, Service } from '../controllers/endpoints/index.js';
import { Rcode, RRType } from './message.js';
import { ClusterZone, ipKey, type ZoneAnswer, type ZoneSource } from './zone.js';

function source(services: Service[], endpoints: Endpoints[]): ZoneSource {
  const key = (o: { metadata: { namespace?: string; name?: string } }) => `${o.metadata.namespace}/${o.metadata.name}`;
  return {
    service: (ns, name) => services.find((s) => key(s) === `${ns}/${name}`),
    endpoints: (ns, name) => endpoints.find((e) => key(e) === `${ns}/${name}`),
    hasServices: (ns) => services.some((s) => s.metadata.namespace === ns),
    namespaceExists: (ns) => ns === 'default' || ns === 'any',
    byIP: (ip) => ({
      services: services.filter((s) => (s.spec?.clusterIPs ?? []).some((c) => ipKey(c) === ip)),
      endpoints: endpoints.filter((e) => (e.subsets ?? []).some((s) => (s.addresses ?? []).some((a) => ipKey(a.ip) === ip))),
    }),
    serial: () => 42,
  };
}

const svc = (name: string, spec: Service['spec'], namespace = 'default'): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec });
const eps = (name: string, subsets: Endpoints['subsets']): Endpoints => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: 'default' }, subsets });

const zone = new ClusterZone(
  source(
    [
      svc('daemons', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'metrics', port: 9100, protocol: 'TCP' }] }),
      svc('idle', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'metrics', port: 9100, protocol: 'TCP' }] }),
      svc('web', { clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] }),
      svc('alias', { type: 'ExternalName', externalName: 'Web.default.svc.cluster.local.' }),
      svc('outside', { type: 'ExternalName', externalName: 'example.org' }),
    ],
    [
      eps('daemons', [
        {
          addresses: [{ ip: '127.0.1.1', nodeName: 'node-1' }, { ip: '127.0.1.2', nodeName: 'node-2', hostname: 'Second' }],
          notReadyAddresses: [{ ip: '127.0.1.3', nodeName: 'node-3' }],
          ports: [{ name: 'metrics', port: 9100, protocol: 'TCP' }],
        },
      ]),
      eps('idle', [{ notReadyAddresses: [{ ip: '127.0.1.3' }], ports: [{ name: 'metrics', port: 9100, protocol: 'TCP' }] }]),
    ],
  ),
);

function ask(name: string, type: number): ZoneAnswer {
  const a = zone.answer({ name, type, class: 1 });
  if (a === 'forward') throw new Error(`${name} forwarded`);
  return a;
}

const data = (a: ZoneAnswer) => a.answers.map((r) => r.data);

describe('the cluster zone', () => {
  it('gives a headless Service one A record per ready address, case-insensitively, with the name as asked', () => {
    const a = ask('Daemons.Default.SVC.cluster.local', RRType.A);
    expect(a).toMatchObject({ rcode: Rcode.NOERROR, authoritative: true });
    expect(data(a)).toEqual(['127.0.1.1', '127.0.1.2']);
    expect(a.answers[0]!.name).toBe('Daemons.Default.SVC.cluster.local');
    expect(a.answers[0]!.ttl).toBe(5);
  });

  it('answers NXDOMAIN for a headless Service without a ready address, and for unknown Services', () => {
    expect(ask('idle.default.svc.cluster.local', RRType.A).rcode).toBe(Rcode.NXDOMAIN);
    const none = ask('nope.default.svc.cluster.local', RRType.A);
    expect(none.rcode).toBe(Rcode.NXDOMAIN);
    expect(none.authority[0]).toMatchObject({ type: RRType.SOA, data: { mname: 'ns.dns.cluster.local', serial: 42, minimum: 5 } });
  });

  it('names each ready address by hostname or dashed IP, for SRV targets and their own A records', () => {
    const srv = ask('_metrics._tcp.daemons.default.svc.cluster.local', RRType.SRV);
    expect(data(srv)).toEqual([
      { priority: 0, weight: 50, port: 9100, target: '127-0-1-1.daemons.default.svc.cluster.local' },
      { priority: 0, weight: 50, port: 9100, target: 'second.daemons.default.svc.cluster.local' },
    ]);
    expect(srv.additional.map((r) => [r.name, r.data])).toEqual([
      ['127-0-1-1.daemons.default.svc.cluster.local', '127.0.1.1'],
      ['second.daemons.default.svc.cluster.local', '127.0.1.2'],
    ]);
    expect(data(ask('127-0-1-1.daemons.default.svc.cluster.local', RRType.A))).toEqual(['127.0.1.1']);
    expect(data(ask('second.daemons.default.svc.cluster.local', RRType.A))).toEqual(['127.0.1.2']);
    // Not ready, and a hostname'd address is not also reachable by its dashed IP.
    expect(ask('127-0-1-3.daemons.default.svc.cluster.local', RRType.A).rcode).toBe(Rcode.NXDOMAIN);
    expect(ask('127-0-1-2.daemons.default.svc.cluster.local', RRType.A).rcode).toBe(Rcode.NXDOMAIN);
    expect(ask('_nope._tcp.daemons.default.svc.cluster.local', RRType.SRV).rcode).toBe(Rcode.NXDOMAIN);
    expect(ask('_metrics._udp.daemons.default.svc.cluster.local', RRType.SRV).rcode).toBe(Rcode.NXDOMAIN);
  });

  it('answers an endpoint\'s name under a Service with a cluster IP too, as the PTR names it (CoreDNS)', () => {
    const z = new ClusterZone(
      source(
        [svc('api', { clusterIP: '10.96.0.30', clusterIPs: ['10.96.0.30'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] })],
        [eps('api', [{ addresses: [{ ip: '127.0.1.5' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }])],
      ),
    );
    const a = z.answer({ name: '127-0-1-5.api.default.svc.cluster.local', type: RRType.A, class: 1 });
    expect(a !== 'forward' && data(a)).toEqual(['127.0.1.5']);
    const ptr = z.answer({ name: '5.1.0.127.in-addr.arpa', type: RRType.PTR, class: 1 });
    expect(ptr !== 'forward' && data(ptr)).toEqual(['127-0-1-5.api.default.svc.cluster.local']);
  });

  it('gives a cluster IP Service its address, its ports as SRV, and NODATA for other types', () => {
    expect(data(ask('web.default.svc.cluster.local', RRType.A))).toEqual(['10.96.0.20']);
    const aaaa = ask('web.default.svc.cluster.local', RRType.AAAA);
    expect(aaaa).toMatchObject({ rcode: Rcode.NOERROR, answers: [] });
    expect(aaaa.authority).toHaveLength(1);
    expect(data(ask('_dns._udp.web.default.svc.cluster.local', RRType.SRV))).toEqual([{ priority: 0, weight: 100, port: 53, target: 'web.default.svc.cluster.local' }]);
    expect(data(ask('web.default.svc.cluster.local', RRType.SRV))).toHaveLength(2);
    expect(ask('_http._tcp.web.default.svc.cluster.local', RRType.A)).toMatchObject({ rcode: Rcode.NOERROR, answers: [] });
  });

  it('gives an ExternalName Service a CNAME, followed inside the zone only', () => {
    const a = ask('alias.default.svc.cluster.local', RRType.A);
    expect(a.answers.map((r) => [r.type, r.data])).toEqual([
      [RRType.CNAME, 'web.default.svc.cluster.local'],
      [RRType.A, '10.96.0.20'],
    ]);
    expect(ask('outside.default.svc.cluster.local', RRType.A).answers.map((r) => r.data)).toEqual(['example.org']);
  });

  it('has the schema version, the apex, the names between, and pod names', () => {
    expect(data(ask('dns-version.cluster.local', RRType.TXT))).toEqual([['1.1.0']]);
    expect(ask('cluster.local', RRType.SOA).answers[0]).toMatchObject({ type: RRType.SOA });
    for (const n of ['svc.cluster.local', 'default.svc.cluster.local', 'pod.cluster.local', 'default.pod.cluster.local']) expect(ask(n, RRType.A)).toMatchObject({ rcode: Rcode.NOERROR, answers: [] });
    expect(ask('other.svc.cluster.local', RRType.A).rcode).toBe(Rcode.NXDOMAIN);
    expect(data(ask('10-1-2-3.any.pod.cluster.local', RRType.A))).toEqual(['10.1.2.3']);
    expect(data(ask('fd00--1.any.pod.cluster.local', RRType.AAAA))).toEqual(['fd00::1']);
    expect(ask('10-1-2.any.pod.cluster.local', RRType.A).rcode).toBe(Rcode.NXDOMAIN);
    // Only in namespaces that exist, as CoreDNS answers pod names.
    expect(ask('10-1-2-3.nosuch.pod.cluster.local', RRType.A).rcode).toBe(Rcode.NXDOMAIN);
    expect(ask('nosuch.pod.cluster.local', RRType.A).rcode).toBe(Rcode.NXDOMAIN);
  });

  it('answers PTR for cluster IPs and ready addresses, and forwards other names and addresses', () => {
    expect(data(ask('20.0.96.10.in-addr.arpa', RRType.PTR))).toEqual(['web.default.svc.cluster.local']);
    expect(data(ask('2.1.0.127.in-addr.arpa', RRType.PTR))).toEqual(['second.daemons.default.svc.cluster.local']);
    expect(zone.answer({ name: '3.1.0.127.in-addr.arpa', type: RRType.PTR, class: 1 })).toBe('forward');
    expect(zone.answer({ name: 'example.org', type: RRType.A, class: 1 })).toBe('forward');
    expect(zone.answer({ name: 'notcluster.local', type: RRType.A, class: 1 })).toBe('forward');
  });

  it('answers ANY with NODATA for a name that exists and NXDOMAIN for one that does not, as CoreDNS', () => {
    for (const n of ['web.default.svc.cluster.local', 'daemons.default.svc.cluster.local', 'alias.default.svc.cluster.local', 'cluster.local', 'dns-version.cluster.local', '20.0.96.10.in-addr.arpa']) {
      expect(ask(n, RRType.ANY)).toMatchObject({ rcode: Rcode.NOERROR, answers: [] });
    }
    expect(ask('idle.default.svc.cluster.local', RRType.ANY).rcode).toBe(Rcode.NXDOMAIN);
    expect(ask('nothing.default.svc.cluster.local', RRType.ANY).rcode).toBe(Rcode.NXDOMAIN);
    expect(zone.answer({ name: 'example.org', type: RRType.ANY, class: 1 })).toBe('forward');
  });

  it('serves another cluster domain when told', () => {
    const other = new ClusterZone(source([svc('web', { clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'] })], []), { domain: 'Fleet.Example.' });
    expect(other.answer({ name: 'web.default.svc.fleet.example', type: RRType.A, class: 1 })).toMatchObject({ answers: [{ data: '10.96.0.20' }] });
    expect(other.answer({ name: 'web.default.svc.cluster.local', type: RRType.A, class: 1 })).toBe('forward');
  });
});
