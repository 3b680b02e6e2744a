// Lists over real HTTPS: items of built-in kinds come without apiVersion/kind, as upstream's
// typed lists encode them (so client code that relies on them fails here as it would on a real
// cluster), and the project's own client fills them in from the list, as client-go does.
// (Custom resources keep theirs: test/integration/custom-resources.test.ts.)
import { describe, expect, it } from 'vitest';
import { clientFromKubeconfig, configMapsResource } from '../../src/client/index.js';
import { Cleanup, httpRequest, useTestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
const server = useTestServer(cleanup);

describe('list items', () => {
  it('carry no type meta on the wire for built-in kinds; the client fills it in', async () => {
    for (const name of ['a', 'b']) {
      expect((await httpRequest(`${server.url}/api/v1/namespaces/default/configmaps`, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: name } }) })).status).toBe(201);
    }
    const wire = (await httpRequest(`${server.url}/api/v1/namespaces/default/configmaps?labelSelector=`)).json as { kind: string; apiVersion: string; items: Array<Record<string, unknown>> };
    expect([wire.kind, wire.apiVersion]).toEqual(['ConfigMapList', 'v1']);
    const mine = wire.items.filter((i) => ['a', 'b'].includes((i['metadata'] as { name: string }).name));
    expect(mine).toHaveLength(2);
    for (const i of mine) {
      expect(Object.keys(i)).not.toContain('kind');
      expect(Object.keys(i)).not.toContain('apiVersion');
      expect(Object.keys(i)[0]).toBe('metadata');
    }
    // A single object still has them.
    expect((await httpRequest(`${server.url}/api/v1/namespaces/default/configmaps/a`)).json).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });

    const { client, transport } = clientFromKubeconfig(server.ts.server.kubeconfigPath);
    cleanup.defer(() => transport.destroy(), 'transport');
    const listed = (await client.list(configMapsResource, { namespace: 'default' })).items.filter((i) => ['a', 'b'].includes(i.metadata.name ?? ''));
    expect(listed.map((i) => [i.apiVersion, i.kind, i.metadata.name])).toEqual([
      ['v1', 'ConfigMap', 'a'],
      ['v1', 'ConfigMap', 'b'],
    ]);
    expect(Object.keys(listed[0]!).slice(0, 3)).toEqual(['apiVersion', 'kind', 'metadata']);
  });
});
