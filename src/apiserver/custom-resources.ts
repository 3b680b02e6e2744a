// Custom resources: the kinds CustomResourceDefinitions declare, served like built-in kinds.
//
// Contract:
// - sync() reads every CRD from the store and makes the KindRegistry serve exactly the served
//   versions of the CRDs that are not being deleted: one KindDef per version (group, version,
//   plural, kind, scope, short names, categories, /status when the version declares it), its
//   schema (from the version's openAPIV3Schema, src/api/schema/custom-resource.ts) and its
//   validation. Kinds of removed CRDs are removed. A kind is (re)registered only when its CRD
//   version changed, so discovery and OpenAPI are rebuilt only then. A CRD cannot replace a
//   built-in kind.
// - All versions of a CRD share one storage prefix (/registry/<group>/<plural>/); objects are not
//   converted between versions (they keep the apiVersion they were written with).
// - A CRD being deleted (held by the customresourcecleanup finalizer its create added) stops
//   being served; its custom resources are deleted (their own finalizers honoured), and once
//   none is left the finalizer is removed, so the CRD goes. Every server may do this: each step
//   is idempotent.
// - Syncs run one at a time; a sync asked for while one runs runs once more after it. Failures
//   are logged and retried after RETRY_MS.

import { allVerbs, type KindDef, type KindRegistry } from '../api/kinds.js';
import { registerCustomResourceSchema } from '../api/schema/index.js';
import { crdCleanupFinalizer, registerCustomResourceValidation } from '../api/validation/index.js';
import type { Store } from '../storage/interface.js';
import type { Logger } from '../util/logger.js';
import { keyPrefix, registryRoot, type RestRegistry } from './registry.js';
import { customResourcePrinter, setCustomResourcePrinter, type PrinterColumn } from './tables/index.js';

const CRD_PREFIX = `${registryRoot}apiextensions.k8s.io/customresourcedefinitions/`;
const RETRY_MS = 1000;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

interface Served {
  def: KindDef;
  /** What the kind was registered from; a change re-registers it. */
  signature: string;
}

/** The KindDefs (with their schemas) a CRD asks to serve. */
function kindsOf(crd: Json): Array<{ def: KindDef; schema: unknown; columns: PrinterColumn[]; signature: string }> {
  const spec = isObj(crd.spec) ? crd.spec : {};
  const names = isObj(spec.names) ? spec.names : {};
  const group = typeof spec.group === 'string' ? spec.group : '';
  const plural = typeof names.plural === 'string' ? names.plural : '';
  const kind = typeof names.kind === 'string' ? names.kind : '';
  if (!group || !plural || !kind) return [];
  const out: Array<{ def: KindDef; schema: unknown; columns: PrinterColumn[]; signature: string }> = [];
  const versions: unknown[] = Array.isArray(spec.versions) ? spec.versions : [];
  // Tables are chosen per kind, not per version: every version prints the storage version's columns.
  const storageVersion = versions.find((v): v is Json => isObj(v) && v.storage === true);
  for (const v of versions) {
    if (!isObj(v) || v.served !== true || typeof v.name !== 'string') continue;
    const hasStatus = isObj(v.subresources) && isObj(v.subresources.status);
    const def: KindDef = {
      group,
      version: v.name,
      kind,
      listKind: typeof names.listKind === 'string' && names.listKind ? names.listKind : `${kind}List`,
      plural,
      singular: typeof names.singular === 'string' && names.singular ? names.singular : kind.toLowerCase(),
      namespaced: spec.scope !== 'Cluster',
      shortNames: strs(names.shortNames),
      categories: strs(names.categories),
      subresources: hasStatus ? ['status'] : [],
      hasStatus,
      statusOnCreate: hasStatus ? 'wipe' : 'keep',
      tracksGeneration: true,
      verbs: [...allVerbs],
    };
    const schema = isObj(v.schema) ? v.schema.openAPIV3Schema : undefined;
    const columns = (Array.isArray(storageVersion?.additionalPrinterColumns) ? storageVersion.additionalPrinterColumns : Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns : []).filter(
      (c): c is PrinterColumn => isObj(c) && typeof c.name === 'string' && typeof c.type === 'string' && typeof c.jsonPath === 'string',
    );
    out.push({ def, schema, columns, signature: JSON.stringify([def, schema, columns]) });
  }
  return out;
}

const gvr = (k: Pick<KindDef, 'group' | 'version' | 'plural'>): string => `${k.group}/${k.version}/${k.plural}`;

export class CustomResourceKinds {
  private readonly served = new Map<string, Served>();
  private readonly builtin: Set<string>;
  private running: Promise<void> | undefined;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly o: { store: Store; kinds: KindRegistry; registry: RestRegistry; logger: Logger },
  ) {
    this.builtin = new Set(o.kinds.all().map(gvr));
  }

  /** Brings the served kinds up to date with the stored CRDs (see the contract). */
  sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.syncOnce();
        } while (this.again && !this.stopped);
      } catch (err) {
        this.o.logger.warn('custom resources: sync failed; retrying', err);
        this.scheduleRetry();
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.sync();
    }, RETRY_MS);
    this.retry.unref();
  }

  private async syncOnce(): Promise<void> {
    const { kinds, store } = this.o;
    const list = await store.list(CRD_PREFIX);
    const wanted = new Map<string, ReturnType<typeof kindsOf>[number]>();
    let cleanupPending = false;
    for (const kv of list.items) {
      let crd: Json;
      try {
        crd = JSON.parse(kv.value) as Json;
      } catch {
        continue;
      }
      const meta = isObj(crd.metadata) ? crd.metadata : {};
      if (meta.deletionTimestamp) {
        if (!(await this.cleanUp(crd))) cleanupPending = true;
        continue;
      }
      for (const k of kindsOf(crd)) if (!this.builtin.has(gvr(k.def))) wanted.set(gvr(k.def), k);
    }
    for (const [key, s] of this.served) {
      if (wanted.has(key)) continue;
      kinds.remove(s.def.group, s.def.version, s.def.plural);
      this.served.delete(key);
      const gk = `${s.def.group}/${s.def.kind}`;
      if (![...wanted.values()].some((w) => `${w.def.group}/${w.def.kind}` === gk)) setCustomResourcePrinter(gk, undefined);
    }
    for (const [key, k] of wanted) {
      if (this.served.get(key)?.signature === k.signature) continue;
      registerCustomResourceSchema({ group: k.def.group, version: k.def.version, kind: k.def.kind }, k.def.listKind, k.schema);
      const required = isObj(k.schema) ? strs(k.schema.required).filter((f) => f !== 'metadata' && f !== 'apiVersion' && f !== 'kind') : [];
      registerCustomResourceValidation(`${k.def.group}/${k.def.kind}`, k.def.namespaced, required);
      setCustomResourcePrinter(`${k.def.group}/${k.def.kind}`, customResourcePrinter(k.columns));
      kinds.add(k.def);
      this.served.set(key, { def: k.def, signature: k.signature });
    }
    if (cleanupPending) this.scheduleRetry();
  }

  /** Deletes a deleting CRD's custom resources; true once none is left and its finalizer is gone. */
  private async cleanUp(crd: Json): Promise<boolean> {
    const meta = crd.metadata as Json;
    const name = String(meta.name);
    if (!strs(meta.finalizers).includes(crdCleanupFinalizer)) return true;
    const defs = kindsOf(crd);
    const spec = isObj(crd.spec) ? crd.spec : {};
    const names = isObj(spec.names) ? spec.names : {};
    const def: KindDef | undefined = defs[0]?.def;
    if (def) {
      const prefix = keyPrefix(def);
      if ((await this.o.store.count(prefix)) > 0) {
        await this.o.registry.deleteCollection(def, undefined, { labelSelector: '', fieldSelector: '', limit: 0, continueToken: '', resourceVersion: undefined, resourceVersionMatch: undefined, watch: false, allowWatchBookmarks: false, sendInitialEvents: undefined, timeoutSeconds: 0, includeObject: 'Metadata' }, { dryRun: false, propagationPolicy: 'Background' });
        if ((await this.o.store.count(prefix)) > 0) return false; // held by their finalizers
      }
    } else if (typeof spec.group === 'string' && typeof names.plural === 'string' && (await this.o.store.count(`${registryRoot}${spec.group}/${names.plural}/`)) > 0) {
      return false;
    }
    const crdKind = this.o.kinds.byResource('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
    const finalizers = strs(meta.finalizers).filter((f) => f !== crdCleanupFinalizer);
    await this.o.registry.patch(crdKind, undefined, name, undefined, 'merge', JSON.stringify({ metadata: { finalizers } }), { dryRun: false, fieldManager: 'everynode-crd-cleanup', fieldValidation: 'Ignore', force: false });
    this.o.logger.info(`custom resources: ${name} deleted with its objects`);
    return true;
  }
}
