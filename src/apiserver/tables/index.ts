// Server-side printing: meta.k8s.io Table responses for list, get and watch.
//
// Pure functions, no I/O. The apiserver calls negotiateRendering() on the Accept header, parses
// `includeObject` with parseIncludeObject(), then builds the response with buildTable():
//   - list:  buildTable(gk, items, { includeObject, listMeta, apiVersion })
//   - get:   buildTable(gk, [obj], { includeObject, apiVersion })   (RV taken from obj)
//   - watch: one Table per event with one row; omitHeaders: true after the first event.

import type { KubeObject, ListMeta } from '../../api/types.js';
import { printerFor } from './printers/registry.js';
import type { IncludeObject, Table, TableApiVersion, TablePrinter, TableRow } from './types.js';

export type {
  IncludeObject,
  PrintContext,
  Table,
  TableApiVersion,
  TableColumnDefinition,
  TablePrinter,
  TableRow,
  TableRowCondition,
} from './types.js';
export { acceptedMediaTypes, acceptedStreamMediaTypes, negotiateMediaType, negotiateRendering, parseIncludeObject, type Rendering } from './accept.js';
export { humanDuration, translateTimestampSince, formatRFC3339 } from './duration.js';
export { printerFor, defaultPrinter, groupKindKey, setCustomResourcePrinter } from './printers/registry.js';
export { customResourcePrinter, simpleJsonPath, type PrinterColumn } from './printers/custom-resource.js';

export interface BuildTableOptions {
  /** Metadata (default): PartialObjectMetadata per row; Object: the full object; None: no object. */
  includeObject?: IncludeObject;
  /**
   * The Table's metadata (resourceVersion, continue, remainingItemCount) for list responses.
   * When absent and exactly one object is given, metadata.resourceVersion is that object's
   * (what upstream does for a single GET and for watch events).
   */
  listMeta?: ListMeta;
  /** Reference time for AGE cells; defaults to the current time. */
  now?: Date;
  /** columnDefinitions: null (watch events after the first, or TableOptions.noHeaders). */
  omitHeaders?: boolean;
  /** meta.k8s.io version negotiated by negotiateRendering(). Default v1. */
  apiVersion?: TableApiVersion;
  /** Overrides the built-in printer for this kind (e.g. a custom resource's printer columns). */
  printer?: TablePrinter;
}

/**
 * Builds a Table for `objects` of one kind. `groupKind` is `<group>/<Kind>`, `/Pod` for the core
 * group (a bare `Pod` is accepted too). Unknown kinds get upstream's default Name / Created At
 * columns. Every row carries all cells, wide (priority >= 1) ones included.
 */
export function buildTable(groupKind: string, objects: KubeObject[], opts: BuildTableOptions = {}): Table {
  const printer = opts.printer ?? printerFor(groupKind);
  const apiVersion = opts.apiVersion ?? 'meta.k8s.io/v1';
  const include = opts.includeObject ?? 'Metadata';
  const ctx = { now: opts.now ?? new Date() };

  const rows = objects.map((obj): TableRow => {
    const row: TableRow = { cells: printer.cells(obj, ctx) };
    const conditions = printer.conditions?.(obj);
    if (conditions && conditions.length > 0) row.conditions = conditions;
    if (include === 'Object') {
      row.object = obj;
    } else if (include === 'Metadata') {
      row.object = { kind: 'PartialObjectMetadata', apiVersion, metadata: { ...obj.metadata } };
    } else {
      // None: upstream's row still carries the field, as null (an empty RawExtension).
      row.object = null;
    }
    return row;
  });

  return {
    kind: 'Table',
    apiVersion,
    metadata: tableMetadata(objects, opts.listMeta),
    columnDefinitions: opts.omitHeaders ? null : printer.columns.map((c) => ({ ...c })),
    rows,
  };
}

function tableMetadata(objects: KubeObject[], listMeta: ListMeta | undefined): ListMeta {
  if (listMeta) {
    const m: ListMeta = {};
    if (listMeta.resourceVersion !== undefined) m.resourceVersion = listMeta.resourceVersion;
    if (listMeta.continue) m.continue = listMeta.continue;
    if (listMeta.remainingItemCount !== undefined) m.remainingItemCount = listMeta.remainingItemCount;
    return m;
  }
  const rv = objects.length === 1 ? objects[0]!.metadata.resourceVersion : undefined;
  return rv !== undefined ? { resourceVersion: rv } : {};
}
