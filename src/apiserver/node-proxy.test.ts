import { describe, expect, it } from 'vitest';
import { errorOf } from '../api/testing/index.js';
import type { Node } from '../api/types.js';
import { nodeProxyTarget, parseNodeProxyId } from './node-proxy.js';

function node(status: Node['status']): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: {}, ...(status ? { status } : {}) };
}

const reporting = node({ addresses: [{ type: 'InternalIP', address: '10.0.0.7' }, { type: 'Hostname', address: 'n1' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } as Node['status']);

describe('parseNodeProxyId ([scheme:]name[:port], as upstream SplitSchemeNamePort)', () => {
  it('takes a name, a name and a port, or a scheme, a name and a port', () => {
    expect(parseNodeProxyId('n1')).toEqual({ name: 'n1', port: '' });
    expect(parseNodeProxyId('n1:10250')).toEqual({ name: 'n1', port: '10250' });
    expect(parseNodeProxyId('https:n1:10250')).toEqual({ name: 'n1', port: '10250' });
    expect(parseNodeProxyId('http:n1:')).toEqual({ name: 'n1', port: '' });
  });

  it('refuses anything else with upstream\'s 400', () => {
    for (const id of ['', ':10250', 'ftp:n1:1', 'a:b:c:d']) {
      const err = errorOf(() => parseNodeProxyId(id));
      expect([id, err.code, err.message]).toEqual([id, 400, `invalid node request ${JSON.stringify(id)}`]);
    }
  });
});

describe('nodeProxyTarget', () => {
  it('goes to the agent without a port or with the agent\'s own port', () => {
    expect(nodeProxyTarget(reporting, '')).toEqual({ host: '10.0.0.7', port: 10250 });
    expect(nodeProxyTarget(reporting, '10250')).toEqual({ host: '10.0.0.7', port: 10250 });
  });

  it('refuses any other port with a 400 that says why', () => {
    for (const port of ['9100', '22', 'http', '010250']) {
      const err = errorOf(() => nodeProxyTarget(reporting, port));
      expect(err.code).toBe(400);
      expect(err.message).toContain(`port ${JSON.stringify(port)} of node n1 cannot be proxied: nodes/proxy reaches only the node's agent (port 10250, or no port)`);
    }
  });

  it('is 503 for a node that reports no address or no agent port, whatever the port asked', () => {
    const noPort = node({ addresses: [{ type: 'InternalIP', address: '10.0.0.7' }] } as Node['status']);
    const noAddress = node({ daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } as Node['status']);
    const cases: [Node, string][] = [
      [noPort, 'node n1 reports no agent port in its status (daemonEndpoints.kubeletEndpoint): no agent serves it (a hollow node, simulated, runs no containers)'],
      [noAddress, 'node n1 reports no InternalIP address in its status'],
      [node(undefined), 'node n1 reports no InternalIP address in its status'],
    ];
    for (const [n, message] of cases) {
      for (const port of ['', '9100']) {
        const err = errorOf(() => nodeProxyTarget(n, port));
        expect(err.code).toBe(503);
        expect(err.message).toBe(message);
      }
    }
  });
});
