// Every document of a served kind in the shared real-world manifests must default and
// validate cleanly: real servers accept these manifests.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { fieldErrorString } from '../errors.js';
import type { KubeObject } from '../types.js';
import { validatedKinds, validationFor } from './index.js';

const dir = '/work/shared/manifests/real-world';
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

function groupKind(o: KubeObject): string {
  const av = o.apiVersion ?? '';
  const group = av.includes('/') ? av.slice(0, av.indexOf('/')) : '';
  return `${group}/${o.kind ?? ''}`;
}

const namespaced = new Set(validatedKinds.filter((k) => !['/Namespace', '/Node', 'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding', 'scheduling.k8s.io/PriorityClass', 'storage.k8s.io/CSIDriver', 'admissionregistration.k8s.io/ValidatingWebhookConfiguration', 'admissionregistration.k8s.io/MutatingWebhookConfiguration', 'apiextensions.k8s.io/CustomResourceDefinition'].includes(k)));

describe('real-world manifests validate after defaulting', () => {
  for (const file of files) {
    it(file, () => {
      const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8'));
      let served = 0;
      for (const d of docs) {
        const o = d.toJSON() as KubeObject | null;
        if (!o || typeof o !== 'object' || !o.kind) continue;
        const gk = groupKind(o);
        if (!validatedKinds.includes(gk)) continue;
        served++;
        o.metadata ??= {};
        // What the apiserver does before validation: request namespace, server-set fields.
        if (namespaced.has(gk) && !o.metadata.namespace) o.metadata.namespace = 'default';
        if (!o.metadata.name && o.metadata.generateName) o.metadata.name = `${o.metadata.generateName}abcde`;
        const v = validationFor(gk);
        v.applyDefaults(o);
        v.prepareForCreate?.(o);
        const errs = v.validateCreate(o).map(fieldErrorString);
        expect(errs, `${gk} ${o.metadata.name ?? ''}`).toEqual([]);
      }
      expect(served).toBeGreaterThan(0);
    });
  }
});
