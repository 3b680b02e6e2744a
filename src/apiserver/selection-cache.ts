// What list and watch filters look at in stored objects, kept per stored version, so a selector
// over many objects does not parse (or even read) the objects it has seen unchanged.
//
// Contracts:
// - An entry is the Selection (name, namespace, labels, selectable fields) of one key as of one
//   modRevision, as one kind sees it (its group's field names: a core Event's
//   `involvedObject.name` is an events.k8s.io Event's `regarding.name`, over the same stored
//   key) with one set of its custom selectable fields; it is used only for exactly that version
//   and kind, so a hit decides a filter as parsing the object would.
// - knownPage reads a page by keys and revisions only when every object of it has an entry, then
//   reads the values of the few that match, keeping each only when it is still the version
//   listed; otherwise it answers undefined and the caller reads the page whole (which fills the
//   entries through `accepts`). Its items that do not match carry value '', which `accepts`
//   rejects from the entries.
// - Bounded: at SELECTIONS_MAX entries the map is emptied and refilled (entries of deleted keys
//   go then).

import type { KindDef } from '../api/kinds.js';
import type { KeyValue, ListOptions, ListResult, Store } from '../storage/interface.js';
import { selectionOf, type ObjectFilter, type Selection } from './filter.js';
import { parseStored } from './object-codec.js';

/** Entries at most (some MB: labels and a few field values each). */
const SELECTIONS_MAX = 50_000;
/** Matches a page read by keys may have before the page is read whole instead. */
const KNOWN_PAGE_MATCHES = 64;

export class SelectionCache {
  private readonly entries = new Map<string, { rev: number; kind: KindDef; custom: KindDef['selectableFields']; sel: Selection }>();

  get size(): number {
    return this.entries.size;
  }

  /** Whether the stored `kv` passes `filter` (one that needs the object), parsing it only when its version is new here. */
  accepts(k: KindDef, kv: KeyValue, filter: ObjectFilter): boolean {
    let sel = this.known(k, kv, filter);
    if (!sel) {
      sel = selectionOf(k, parseStored(kv.value, kv.modRevision), filter.needsFields || this.entries.get(kv.key)?.sel.fields !== undefined);
      if (this.entries.size >= SELECTIONS_MAX) this.entries.clear();
      this.entries.set(kv.key, { rev: kv.modRevision, kind: k, custom: k.selectableFields, sel });
    }
    return filter.matchesSelection(sel);
  }

  /** A page of `store.list(prefix, opts)` read by keys (see the header), or undefined to read it whole. */
  async knownPage(store: Store, k: KindDef, prefix: string, opts: ListOptions, filter: ObjectFilter): Promise<ListResult | undefined> {
    if (this.entries.size === 0) return undefined;
    const keys = await store.list(prefix, { ...opts, keysOnly: true });
    const matched: KeyValue[] = [];
    for (const kv of keys.items) {
      const sel = this.known(k, kv, filter);
      if (!sel) return undefined;
      if (filter.matchesSelection(sel)) {
        matched.push(kv);
        if (matched.length > KNOWN_PAGE_MATCHES) return undefined;
      }
    }
    for (const kv of matched) {
      const cur = await store.get(kv.key);
      if (!cur || cur.modRevision !== kv.modRevision) return undefined;
      kv.value = cur.value;
    }
    return keys;
  }

  /** The entry of `kv` when it is of that very version, seen as `k` (with fields when `filter` needs them). */
  private known(k: KindDef, kv: KeyValue, filter: ObjectFilter): Selection | undefined {
    const e = this.entries.get(kv.key);
    return e && e.rev === kv.modRevision && e.kind === k && e.custom === k.selectableFields && (!filter.needsFields || e.sel.fields) ? e.sel : undefined;
  }
}
