import { describe, expect, it } from 'vitest';
import type { Node } from '../api/types.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { annotationConfigHash, annotationConfigMirror, mirrorPodFor, StaticPodSource, staticPodFromManifest } from './static-pods.js';

const yaml = `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers: [{name: web, image: x, command: [sleep, '100']}]
`;

describe('static pods', () => {
  it('names, binds and hashes the pod; the same content keeps its UID, another content does not', () => {
    const p = staticPodFromManifest('/m/web.yaml', yaml, 'n1', '2024-01-01T00:00:00Z');
    expect(p.metadata).toMatchObject({ name: 'web-n1', namespace: 'default', labels: { app: 'web' } });
    expect(p.spec.nodeName).toBe('n1');
    expect(p.spec.restartPolicy).toBe('Always');
    expect(p.metadata.annotations?.[annotationConfigHash]).toBe(p.metadata.uid);
    expect(staticPodFromManifest('/m/web.yaml', yaml, 'n1', 'later').metadata.uid).toBe(p.metadata.uid);
    expect(staticPodFromManifest('/m/web.yaml', yaml.replace("'100'", "'200'"), 'n1', 'x').metadata.uid).not.toBe(p.metadata.uid);
    expect(staticPodFromManifest('/m/web.json', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j' }, spec: { containers: [{ name: 'c', image: 'x' }] } }), 'n1', 'x').metadata.name).toBe('j-n1');
  });

  it('tolerates every NoExecute taint, as the kubelet makes file pods (node problems never evict them), once', () => {
    const p = staticPodFromManifest('/m/web.yaml', yaml, 'n1', 'x');
    expect(p.spec.tolerations).toEqual([{ operator: 'Exists', effect: 'NoExecute' }]);
    const own = yaml.replace('spec:\n', 'spec:\n  tolerations: [{key: a, operator: Exists}, {operator: Exists, effect: NoExecute}]\n');
    expect(staticPodFromManifest('/m/web.yaml', own, 'n1', 'x').spec.tolerations).toEqual([{ key: 'a', operator: 'Exists' }, { operator: 'Exists', effect: 'NoExecute' }]);
  });

  it('reads the manifest as the kubelet does (YAML 1.1: 0400 is the file mode 256, yes is true)', () => {
    const text = yaml.replace(
      'spec:\n',
      'spec:\n  volumes: [{name: cfg, configMap: {name: cfg, defaultMode: 0400, items: [{key: k, path: k, mode: 0644}]}}]\n  enableServiceLinks: no\n',
    ).replace("metadata: {name: web, labels: {app: web}}", "metadata: {name: web, labels: {app: web}, annotations: {seen: 2024-01-01T00:00:00Z, flag: 'yes'}}");
    const p = staticPodFromManifest('/m/web.yaml', text, 'n1', 'x');
    expect(p.spec.volumes?.[0]?.configMap).toEqual({ name: 'cfg', defaultMode: 256, items: [{ key: 'k', path: 'k', mode: 420 }] });
    expect(p.spec.enableServiceLinks).toBe(false);
    expect(p.metadata.annotations).toMatchObject({ seen: '2024-01-01T00:00:00Z', flag: 'yes' });
    expect(() => staticPodFromManifest('/m/c.yaml', 'a: [1', 'n1', 'x')).toThrow(/^\/m\/c.yaml: not valid YAML or JSON: Flow sequence in block collection/);
    // Several documents: the first is the pod, the rest is not read (a broken one included).
    const multi = staticPodFromManifest('/m/multi.yaml', `---\n${yaml}---\napiVersion: v1\nkind: Pod\nmetadata: {name: second}\n---\na: [1\n`, 'n1', 'x');
    expect(multi.metadata.name).toBe('web-n1');
  });

  it('rejects what is not a valid Pod with the file name in the message', () => {
    expect(() => staticPodFromManifest('/m/a.yaml', 'kind: Service\napiVersion: v1\n', 'n1', 'x')).toThrow(/\/m\/a.yaml: want apiVersion v1, kind Pod/);
    expect(() => staticPodFromManifest('/m/b.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: "Bad Name", image: x}]}\n', 'n1', 'x')).toThrow(/invalid Pod/);
    // The API server's wording of the same error, not its type name.
    expect(() => staticPodFromManifest('/m/c.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: c}\nspec: {restartPolicy: Bogus, containers: [{name: c, image: x}]}\n', 'n1', 'x')).toThrow(
      /^\/m\/c\.yaml: invalid Pod: spec\.restartPolicy: Unsupported value: "Bogus": supported values: /,
    );
  });

  it('mirrors a static pod with the mirror annotation and the Node as owner', () => {
    const p = staticPodFromManifest('/m/web.yaml', yaml, 'n1', 'x');
    const node = { metadata: { name: 'n1', uid: 'node-uid' } } as Node;
    const m = mirrorPodFor(p, node);
    expect(m.metadata.uid).toBeUndefined();
    expect(m.metadata.annotations?.[annotationConfigMirror]).toBe(p.metadata.uid);
    expect(m.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'node-uid', controller: true }]);
  });

  it('says once that two files define the same pod, however often the directory is scanned', () => {
    const dir = mkdtempSync(join(tmpdir(), 'static-clash-'));
    try {
      writeFileSync(join(dir, 'a.yaml'), yaml);
      writeFileSync(join(dir, 'b.yaml'), yaml.replace('image: x', 'image: z'));
      const errors: string[] = [];
      const source = new StaticPodSource({ dir, nodeName: 'n1', onChange: () => undefined, onError: (e) => errors.push(e.message) });
      for (let i = 0; i < 5; i++) source.scan();
      expect(errors).toEqual([`${join(dir, 'b.yaml')}: pod default/web-n1 is already defined by ${join(dir, 'a.yaml')}; ignored`]);
      expect([...source.current().values()].map((p) => p.file)).toEqual([join(dir, 'a.yaml')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
