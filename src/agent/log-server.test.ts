import { afterEach, describe, expect, it } from 'vitest';
import { parseLogQuery, startAgentHttpServer, type AgentHttpServer, type ContainerLogSource } from './log-server.js';

let server: AgentHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('agent endpoint without a node identity (plain HTTP)', () => {
  it('serves /healthz only: logs, stats, pods, metrics, exec and port-forward are 403, and the source is never asked', async () => {
    const asked: string[] = [];
    const source: ContainerLogSource = {
      containerLogs: async (ns, pod, c, _o, onData) => {
        asked.push(`logs ${ns}/${pod}/${c}`);
        onData(Buffer.from('secret line\n'));
      },
      statsSummary: async () => {
        asked.push('stats');
        return { node: { name: 'n' }, pods: [] } as never;
      },
      portForwardHosts: async () => {
        asked.push('portForward');
        return ['127.0.0.1'];
      },
      pods: async () => {
        asked.push('pods');
        return [];
      },
      metrics: async (which) => {
        asked.push(`metrics ${which}`);
        return '';
      },
    };
    server = await startAgentHttpServer(source, '127.0.0.1', 0);
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    for (const [path, method] of [
      ['/containerLogs/default/p/c', 'GET'],
      ['/stats/summary', 'GET'],
      ['/exec/default/p/c?command=id', 'POST'],
      ['/portForward/default/p?port=80', 'POST'],
      ['/pods', 'GET'],
      ['/metrics', 'GET'],
      ['/metrics/resource', 'GET'],
      ['/metrics/cadvisor', 'GET'],
    ] as const) {
      const r = await fetch(`${base}${path}`, { method });
      expect([path, r.status]).toEqual([path, 403]);
      expect(await r.text()).toContain('no node identity');
    }
    expect(asked).toEqual([]);
  });
});

describe('agent endpoint limits', () => {
  it('takes a request line of 1 MiB as the kubelet does (an exec command travels in the query), and answers 431 beyond', async () => {
    server = await startAgentHttpServer({ containerLogs: async () => undefined }, '127.0.0.1', 0);
    const base = `http://127.0.0.1:${server.port}`;
    // 20,000 characters: upstream's kubectl conformance test echoes an argument this long.
    expect((await fetch(`${base}/healthz?command=${'a'.repeat(20_000)}`)).status).toBe(200);
    expect((await fetch(`${base}/healthz?command=${'a'.repeat(1 << 20)}`)).status).toBe(431);
  });
});

describe('parseLogQuery', () => {
  it('reads sinceTime to the whole second, as the kubelet receives it', () => {
    expect(parseLogQuery(new URLSearchParams('sinceTime=2026-12-03T14:38:44.863Z')).sinceTime).toBe(Date.parse('2026-12-03T14:38:44Z'));
    expect(parseLogQuery(new URLSearchParams('sinceTime=2026-12-03T14:38:44Z')).sinceTime).toBe(Date.parse('2026-12-03T14:38:44Z'));
    expect(parseLogQuery(new URLSearchParams('sinceSeconds=5'), 10_500).sinceTime).toBe(5_500);
    expect(() => parseLogQuery(new URLSearchParams('sinceTime=yesterday'))).toThrow('invalid sinceTime');
  });
});
