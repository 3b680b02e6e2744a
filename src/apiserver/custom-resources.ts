// Custom resources: the kinds CustomResourceDefinitions declare, served like built-in kinds.
//
// Contract:
// - sync() reads every CRD from the store and makes the KindRegistry serve exactly the served
//   versions of the CRDs whose names are accepted: one KindDef per version (group, version,
//   plural, kind, scope, short names, categories, /status and /scale when the version declares
//   them: scale.ts), its
//   schema (from the version's openAPIV3Schema, src/api/schema/custom-resource.ts), its
//   validation and its table columns. A kind is (re)registered only when its CRD version
//   changed, so discovery and OpenAPI are rebuilt only then; everything registered for a kind
//   is unregistered when it stops being served, and its open watches end (clients relist).
// - Names: a CRD in a group the server serves itself is never served (validation refuses new
//   ones). Within a group, the plural, singular, kind, list kind and short names of an earlier
//   CRD (by creationTimestamp, then name) win: a later CRD claiming one of them is not served,
//   and its status says NamesAccepted=False and Established=False (upstream's naming
//   controller), until the conflict goes.
// - All versions of a CRD share one storage prefix (/registry/<group>/<plural>/); objects are not
//   converted between versions (they keep the apiVersion they were written with).
// - A CRD being deleted (held by the customresourcecleanup finalizer its first DELETE added) is still
//   served, except create ("create not allowed while custom resource definition is
//   terminating"), so objects held by finalizers can be released. Its objects are deleted
//   (their finalizers honoured, served versions or not); once none is left the finalizer is
//   removed, so the CRD goes. Every server may do this: each step is idempotent.
// - Syncs run one at a time; a sync asked for while one runs runs once more after it. Failures,
//   and cleanups waiting on finalizers, are retried with a delay doubling up to RETRY_MAX_MS.

import { allVerbs, tableKeyOf, type KindDef, type KindRegistry } from '../api/kinds.js';
import { registerCustomResourceSchema, unregisterCustomResourceSchema } from '../api/schema/index.js';
import { crdCleanupFinalizer, registerCustomResourceValidation, reservedGroups, unregisterCustomResourceValidation } from '../api/validation/index.js';
import type { Store } from '../storage/interface.js';
import { compareKubeVersions } from './discovery.js';
import type { Logger } from '../util/logger.js';
import { keyPrefix, registryRoot, type RestRegistry } from './registry.js';
import { customResourcePrinter, setCustomResourcePrinter, type PrinterColumn } from './tables/index.js';

const CRD_PREFIX = `${registryRoot}apiextensions.k8s.io/customresourcedefinitions/`;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
const TERMINATING = 'create not allowed while custom resource definition is terminating';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

interface Served {
  def: KindDef;
  /** What the kind was registered from; a change re-registers it. */
  signature: string;
}

/** The KindDefs (with their schemas) a CRD asks to serve. */
interface CrdKind {
  def: KindDef;
  served: boolean;
  storage: boolean;
  schema: unknown;
  columns: PrinterColumn[];
  signature: string;
}

/** Every version of a CRD as a KindDef (served or not), with its schema and table columns. */
function kindsOf(crd: Json): CrdKind[] {
  const spec = isObj(crd.spec) ? crd.spec : {};
  const names = isObj(spec.names) ? spec.names : {};
  const group = typeof spec.group === 'string' ? spec.group : '';
  const plural = typeof names.plural === 'string' ? names.plural : '';
  const kind = typeof names.kind === 'string' ? names.kind : '';
  if (!group || !plural || !kind) return [];
  const out: CrdKind[] = [];
  const terminating = isObj(crd.metadata) && Boolean(crd.metadata.deletionTimestamp);
  const versions: unknown[] = Array.isArray(spec.versions) ? spec.versions : [];
  for (const v of versions) {
    if (!isObj(v) || typeof v.name !== 'string') continue;
    const hasStatus = isObj(v.subresources) && isObj(v.subresources.status);
    const scaleSpec = isObj(v.subresources) && isObj(v.subresources.scale) ? v.subresources.scale : undefined;
    const scale =
      scaleSpec && typeof scaleSpec.specReplicasPath === 'string' && typeof scaleSpec.statusReplicasPath === 'string'
        ? { specReplicasPath: scaleSpec.specReplicasPath, statusReplicasPath: scaleSpec.statusReplicasPath, ...(typeof scaleSpec.labelSelectorPath === 'string' && scaleSpec.labelSelectorPath ? { labelSelectorPath: scaleSpec.labelSelectorPath } : {}) }
        : undefined;
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
      subresources: [...(hasStatus ? (['status'] as const) : []), ...(scale ? (['scale'] as const) : [])],
      ...(scale ? { scale } : {}),
      hasStatus,
      statusOnCreate: hasStatus ? 'wipe' : 'keep',
      tracksGeneration: true,
      verbs: [...allVerbs],
      custom: true,
      selectableFields: {
        namespaced: spec.scope !== 'Cluster',
        jsonPaths: (Array.isArray(v.selectableFields) ? v.selectableFields : []).flatMap((f) => (isObj(f) && typeof f.jsonPath === 'string' && f.jsonPath ? [f.jsonPath] : [])),
      },
    };
    if (terminating) def.createForbidden = TERMINATING;
    if (v.deprecated === true) def.deprecationWarning = typeof v.deprecationWarning === 'string' ? v.deprecationWarning : defaultDeprecationWarning(group, kind, v.name, versions);
    const schema = isObj(v.schema) ? v.schema.openAPIV3Schema : undefined;
    const columns = (Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns : []).filter(
      (c): c is PrinterColumn => isObj(c) && typeof c.name === 'string' && typeof c.type === 'string' && typeof c.jsonPath === 'string',
    );
    out.push({ def, served: v.served === true, storage: v.storage === true, schema, columns, signature: JSON.stringify([def, schema, columns]) });
  }
  return out;
}

/**
 * Upstream's warning for a deprecated version without its own: `<group>/<version> <Kind> is
 * deprecated`, then `; use <group>/<newer> <Kind>` naming the most preferred served version that
 * is not deprecated and is preferred over this one, when there is one.
 */
function defaultDeprecationWarning(group: string, kind: string, version: string, versions: unknown[]): string {
  const msg = `${group}/${version} ${kind} is deprecated`;
  const newer = versions
    .filter(isObj)
    .filter((v) => v.served === true && v.deprecated !== true && typeof v.name === 'string' && compareKubeVersions(v.name, version) < 0)
    .map((v) => v.name as string)
    .sort(compareKubeVersions);
  return newer[0] ? `${msg}; use ${group}/${newer[0]} ${kind}` : msg;
}

const gvr = (k: Pick<KindDef, 'group' | 'version' | 'plural'>): string => `${k.group}/${k.version}/${k.plural}`;

/** The names a CRD claims in its group, each with the condition reason a conflict on it gives. */
function claimedNames(crd: Json): Array<[name: string, reason: string]> {
  const spec = isObj(crd.spec) ? crd.spec : {};
  const names = isObj(spec.names) ? spec.names : {};
  const kind = typeof names.kind === 'string' ? names.kind : '';
  const out: Array<[string, string]> = [];
  if (typeof names.plural === 'string') out.push([`resource:${names.plural}`, 'PluralConflict']);
  out.push([`resource:${typeof names.singular === 'string' && names.singular ? names.singular : kind.toLowerCase()}`, 'SingularConflict']);
  for (const sn of strs(names.shortNames)) out.push([`resource:${sn}`, 'ShortNamesConflict']);
  out.push([`kind:${kind}`, 'KindConflict']);
  out.push([`kind:${typeof names.listKind === 'string' && names.listKind ? names.listKind : `${kind}List`}`, 'ListKindConflict']);
  return out;
}

export class CustomResourceKinds {
  private readonly served = new Map<string, Served>();
  /** Groups the server serves itself: never served from a CRD. */
  private readonly builtinGroups: Set<string>;
  private running: Promise<void> | undefined;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  private retryDelayMs = RETRY_MIN_MS;
  private stopped = false;

  constructor(
    private readonly o: {
      store: Store;
      kinds: KindRegistry;
      registry: RestRegistry;
      logger: Logger;
      /** Called for each kind that stops being served (its open watches are ended there). */
      onUnserved?: (def: KindDef) => void;
    },
  ) {
    this.builtinGroups = new Set([...reservedGroups, ...o.kinds.all().map((k) => k.group)]);
  }

  /** Brings the served kinds up to date with the stored CRDs (see the contract). */
  sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        let pending = false;
        do {
          this.again = false;
          pending = await this.syncOnce();
        } while (this.again && !this.stopped);
        if (pending) this.scheduleRetry();
        else this.retryDelayMs = RETRY_MIN_MS;
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
    }, this.retryDelayMs);
    this.retry.unref();
    this.retryDelayMs = Math.min(RETRY_MAX_MS, this.retryDelayMs * 2);
  }

  /** One pass; true when something is left to retry (a cleanup held by finalizers, a status write). */
  private async syncOnce(): Promise<boolean> {
    const { kinds, store } = this.o;
    const list = await store.list(CRD_PREFIX);
    const crds: Array<{ crd: Json; modRevision: number }> = [];
    for (const kv of list.items) {
      try {
        crds.push({ crd: JSON.parse(kv.value) as Json, modRevision: kv.modRevision });
      } catch {
        /* not JSON: nothing to serve */
      }
    }
    // Earlier CRDs keep their names (creationTimestamp, then name).
    const created = (c: Json): string => String((c.metadata as Json | undefined)?.creationTimestamp ?? '');
    const nameOf = (c: Json): string => String((c.metadata as Json | undefined)?.name ?? '');
    crds.sort((a, b) => created(a.crd).localeCompare(created(b.crd)) || nameOf(a.crd).localeCompare(nameOf(b.crd)));

    const wanted = new Map<string, CrdKind>();
    const claimed = new Map<string, string>(); // group + claimed name -> CRD name
    let pending = false;
    for (const { crd, modRevision } of crds) {
      const spec = isObj(crd.spec) ? crd.spec : {};
      const group = typeof spec.group === 'string' ? spec.group : '';
      let conflict: { reason: string; message: string } | undefined;
      if (this.builtinGroups.has(group)) conflict = { reason: 'GroupConflict', message: `group "${group}" is served by the API server` };
      for (const [n, reason] of conflict ? [] : claimedNames(crd)) {
        const owner = claimed.get(`${group}/${n}`);
        if (owner !== undefined && owner !== nameOf(crd)) {
          conflict = { reason, message: `"${n.slice(n.indexOf(':') + 1)}" is already in use` };
          break;
        }
      }
      if (!conflict) for (const [n] of claimedNames(crd)) claimed.set(`${group}/${n}`, nameOf(crd));
      if (!(await this.reconcileNamesStatus(crd, modRevision, conflict))) pending = true;
      const versions = kindsOf(crd);
      if ((crd.metadata as Json | undefined)?.deletionTimestamp && !(await this.cleanUp(crd, versions))) pending = true;
      if (conflict) continue;
      for (const k of versions) if (k.served) wanted.set(gvr(k.def), k);
    }

    for (const [key, s] of this.served) {
      if (wanted.has(key)) continue;
      kinds.remove(s.def.group, s.def.version, s.def.plural);
      this.o.onUnserved?.(s.def);
      unregisterCustomResourceSchema({ group: s.def.group, version: s.def.version, kind: s.def.kind }, s.def.listKind);
      this.served.delete(key);
      setCustomResourcePrinter(tableKeyOf(s.def), undefined);
      const gk = `${s.def.group}/${s.def.kind}`;
      if (![...wanted.values()].some((w) => `${w.def.group}/${w.def.kind}` === gk)) unregisterCustomResourceValidation(gk);
    }
    const changedKinds = new Set<string>();
    for (const [key, k] of wanted) {
      if (this.served.get(key)?.signature === k.signature) continue;
      registerCustomResourceSchema({ group: k.def.group, version: k.def.version, kind: k.def.kind }, k.def.listKind, k.schema);
      setCustomResourcePrinter(tableKeyOf(k.def), customResourcePrinter(k.columns));
      kinds.add(k.def);
      this.served.set(key, { def: k.def, signature: k.signature });
      changedKinds.add(`${k.def.group}/${k.def.kind}`);
    }
    // Validation is per kind, with the schema of each served version (chosen by apiVersion).
    for (const gk of changedKinds) {
      const versions = [...wanted.values()].filter((w) => `${w.def.group}/${w.def.kind}` === gk);
      const schemas = new Map(versions.map((w) => [`${w.def.group}/${w.def.version}`, w.schema] as const));
      registerCustomResourceValidation(gk, versions[0]!.def.namespaced, schemas);
    }
    return pending;
  }

  /**
   * Writes NamesAccepted/Established when they disagree with the name check (`conflict`
   * undefined: accepted). False when the write failed (retried later).
   */
  private async reconcileNamesStatus(crd: Json, modRevision: number, conflict: { reason: string; message: string } | undefined): Promise<boolean> {
    const status = isObj(crd.status) ? crd.status : {};
    const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter(isObj);
    const want: Record<string, { status: string; reason: string; message: string }> = conflict
      ? { NamesAccepted: { status: 'False', ...conflict }, Established: { status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' } }
      : { NamesAccepted: { status: 'True', reason: 'NoConflicts', message: 'no conflicts found' }, Established: { status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' } };
    const same = Object.entries(want).every(([type, w]) => conditions.some((c) => c.type === type && c.status === w.status));
    if (same) return true;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const next = Object.entries(want).map(([type, w]) => ({ type, ...w, lastTransitionTime: now }));
    const others = conditions.filter((c) => c.type !== 'NamesAccepted' && c.type !== 'Established');
    const body = { ...crd, metadata: { ...(crd.metadata as Json), resourceVersion: String(modRevision) }, status: { ...status, conditions: [...next, ...others] } };
    const crdKind = this.o.kinds.byResource('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
    try {
      await this.o.registry.update(crdKind, undefined, String((crd.metadata as Json).name), 'status', body, { dryRun: false, fieldManager: 'everynode-crd-names', fieldValidation: 'Ignore', force: false });
      return true;
    } catch (err) {
      this.o.logger.debug?.(`custom resources: status of ${String((crd.metadata as Json).name)} not written yet: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  }

  /** Deletes a deleting CRD's custom resources; true once none is left and its finalizer is gone. */
  private async cleanUp(crd: Json, versions: CrdKind[]): Promise<boolean> {
    const meta = crd.metadata as Json;
    const name = String(meta.name);
    if (!strs(meta.finalizers).includes(crdCleanupFinalizer)) return true;
    const crdKind = this.o.kinds.byResource('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
    const writeQuery = { dryRun: false, fieldManager: 'everynode-crd-cleanup', fieldValidation: 'Ignore', force: false } as const;
    // The Terminating condition as upstream's finalizing controller keeps it: InProgress while
    // the objects are deleted, Completed (False) once none is left.
    const conditions = Array.isArray((crd.status as Json | undefined)?.conditions) ? ((crd.status as Json).conditions as Json[]) : [];
    const setTerminating = async (status: 'True' | 'False', reason: string, message: string): Promise<void> => {
      const prior = conditions.find((c) => c.type === 'Terminating');
      if (prior?.reason === reason) return;
      const at = prior?.status === status && typeof prior.lastTransitionTime === 'string' ? prior.lastTransitionTime : new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const next = [...conditions.filter((c) => c.type !== 'Terminating'), { type: 'Terminating', status, lastTransitionTime: at, reason, message }];
      await this.o.registry.patch(crdKind, undefined, name, 'status', 'merge', JSON.stringify({ status: { conditions: next } }), writeQuery);
    };
    await setTerminating('True', 'InstanceDeletionInProgress', 'CustomResource deletion is in progress');
    // Every version shares the storage prefix; a CRD of a built-in group owns none of it.
    const def = (versions.find((v) => v.storage) ?? versions[0])?.def;
    if (def && !this.builtinGroups.has(def.group)) {
      const prefix = keyPrefix(def);
      if ((await this.o.store.count(prefix)) > 0) {
        await this.o.registry.deleteCollection(def, undefined, { labelSelector: '', fieldSelector: '', limit: 0, continueToken: '', resourceVersion: undefined, resourceVersionMatch: undefined, watch: false, allowWatchBookmarks: false, sendInitialEvents: undefined, timeoutSeconds: 0, includeObject: 'Metadata' }, { dryRun: false, propagationPolicy: 'Background' });
        if ((await this.o.store.count(prefix)) > 0) return false; // held by their finalizers
      }
    }
    await setTerminating('False', 'InstanceDeletionCompleted', 'removed all instances');
    const finalizers = strs(meta.finalizers).filter((f) => f !== crdCleanupFinalizer);
    await this.o.registry.patch(crdKind, undefined, name, undefined, 'merge', JSON.stringify({ metadata: { finalizers } }), writeQuery);
    this.o.logger.info(`custom resources: ${name} deleted with its objects`);
    return true;
  }
}
