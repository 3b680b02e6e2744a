import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../errors.js';
import type { KubeObject } from '../types.js';
import { validationFor } from './index.js';

const v = validationFor('discovery.k8s.io/EndpointSlice');

function create(o: Record<string, unknown>): { obj: any; errors: string[] } {
  const obj = structuredClone({ metadata: { name: 's', namespace: 'n' }, ...o }) as unknown as KubeObject;
  v.applyDefaults(obj);
  return { obj, errors: v.validateCreate(obj).map(fieldErrorString) };
}

describe('EndpointSlice validation (pkg/apis/discovery/validation)', () => {
  it('defaults port names and protocols, and an absent endpoints list', () => {
    const { obj, errors } = create({ addressType: 'IPv4', ports: [{ port: 80 }] });
    expect(errors).toEqual([]);
    expect(obj.ports).toEqual([{ name: '', protocol: 'TCP', port: 80 }]);
    expect(obj.endpoints).toEqual([]);
  });

  it('addressType is required, one of IPv4, IPv6, FQDN, and immutable', () => {
    expect(create({}).errors).toEqual(['addressType: Required value']);
    expect(create({ addressType: 'IP' }).errors).toEqual(['addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"']);
    const old = create({ addressType: 'IPv4' }).obj;
    const next = { ...structuredClone(old), addressType: 'IPv6' };
    expect(v.validateUpdate(next, old).map(fieldErrorString)).toEqual(['addressType: Invalid value: "IPv6": field is immutable']);
  });

  it('checks every address against the address type (loopback allowed, as for Endpoints)', () => {
    const { errors } = create({
      addressType: 'IPv4',
      endpoints: [{ addresses: [] }, { addresses: ['10.0.0.1', '2001:db8::1', 'nope', '0.0.0.0', '127.0.1.2'] }],
    });
    expect(errors).toEqual([
      'endpoints[0].addresses: Required value: must contain at least 1 address',
      'endpoints[1].addresses[1]: Invalid value: "2001:db8::1": must be a valid IPv4 address',
      'endpoints[1].addresses[2]: Invalid value: "nope": must be a valid IPv4 address',
      'endpoints[1].addresses[2]: Invalid value: "nope": must be a valid IP address',
      'endpoints[1].addresses[3]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0, ::)',
    ]);
    expect(create({ addressType: 'IPv6', endpoints: [{ addresses: ['10.0.0.1'] }] }).errors).toEqual(['endpoints[0].addresses[0]: Invalid value: "10.0.0.1": must be a valid IPv6 address']);
    expect(create({ addressType: 'FQDN', endpoints: [{ addresses: ['db.example.com', 'localhost', 'Bad.example'] }] }).errors).toEqual([
      'endpoints[0].addresses[1]: Invalid value: "localhost": should be a domain with at least two segments separated by dots',
      expect.stringMatching(/^endpoints\[0\]\.addresses\[2\]: Invalid value: "Bad\.example": a lowercase RFC 1123 subdomain/),
    ]);
  });

  it('limits: 1000 endpoints, 100 addresses, 8 zone hints', () => {
    expect(create({ addressType: 'IPv4', endpoints: Array.from({ length: 1001 }, () => ({ addresses: ['10.0.0.1'] })) }).errors).toEqual(['endpoints: Too many: 1001: must have at most 1000 items']);
    expect(create({ addressType: 'IPv4', endpoints: [{ addresses: Array.from({ length: 101 }, () => '10.0.0.1') }] }).errors).toEqual(['endpoints[0].addresses: Too many: 101: must have at most 100 items']);
    const zones = Array.from({ length: 9 }, (_, i) => ({ name: `z${i}` }));
    expect(create({ addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], hints: { forZones: zones } }] }).errors).toEqual(['endpoints[0].hints.forZones: Too many: 9: must have at most 8 items']);
    expect(create({ addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], hints: { forZones: [{ name: 'a' }, { name: 'a' }] } }] }).errors).toEqual(['endpoints[0].hints.forZones[1].name: Duplicate value: "a"']);
  });

  it('endpoint hostname and nodeName, port names, protocols and appProtocol', () => {
    const { errors } = create({
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'], hostname: 'Host_1', nodeName: 'node_1' }],
      ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }, { port: 82, protocol: 'ICMP' }, { name: 'x', appProtocol: 'bad proto' }],
    });
    expect(errors).toEqual([
      expect.stringMatching(/^endpoints\[0\]\.nodeName: Invalid value: "node_1": a lowercase RFC 1123 subdomain/),
      expect.stringMatching(/^endpoints\[0\]\.hostname: Invalid value: "Host_1": a lowercase RFC 1123 label/),
      'ports[1].name: Duplicate value: "http"',
      'ports[2].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      expect.stringMatching(/^ports\[3\]\.appProtocol: Invalid value: "bad proto": name part must consist of alphanumeric/),
    ]);
  });

  it('drops deprecatedTopology on writes through v1, keeping it on an update that leaves the endpoints alone (dropTopologyOnV1)', () => {
    const created = structuredClone({ metadata: { name: 's', namespace: 'n' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], deprecatedTopology: { 'kubernetes.io/hostname': 'node-a' } }] }) as unknown as KubeObject;
    v.prepareForCreate?.(created);
    expect((created as any).endpoints).toEqual([{ addresses: ['10.0.0.1'] }]);

    // A slice stored with topology (written before this rule): an update leaving its endpoints
    // keeps them; one changing them drops the topology and keeps the node in nodeName, only for
    // a node the stored topology named.
    const stored = { metadata: { name: 's', namespace: 'n' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], deprecatedTopology: { 'kubernetes.io/hostname': 'node-a' } }] } as unknown as KubeObject;
    const same = structuredClone(stored);
    (same.metadata as any).labels = { a: 'b' };
    v.prepareForUpdate?.(same, stored);
    expect((same as any).endpoints[0].deprecatedTopology).toEqual({ 'kubernetes.io/hostname': 'node-a' });
    const changed = structuredClone(stored) as any;
    changed.endpoints.push({ addresses: ['10.0.0.2'], deprecatedTopology: { 'kubernetes.io/hostname': 'node-b' } });
    v.prepareForUpdate?.(changed, stored);
    expect(changed.endpoints).toEqual([{ addresses: ['10.0.0.1'], nodeName: 'node-a' }, { addresses: ['10.0.0.2'] }]);
  });
});
