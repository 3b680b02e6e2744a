// Wire shapes of meta.k8s.io Table (server-side printing) and the printer contract.
//
// Contract: a TablePrinter is pure data plus a pure function. `cells(obj, ctx)` returns exactly
// one cell per column of `columns`, in order, including priority>=1 ("wide") columns: like
// upstream's apiserver, we always generate the wide cells and let the client hide them.

import type { ListMeta } from '../../api/types.js';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** metav1.TableRowCondition; upstream sets `Completed` on rows of finished pods. */
export interface TableRowCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object?: unknown;
}

export type TableApiVersion = 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';

export interface Table {
  kind: 'Table';
  apiVersion: TableApiVersion;
  metadata: ListMeta;
  /** null when headers are omitted (watch events after the first). Serialized as `null`, as upstream does. */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Inputs a printer may use besides the object. `now` is the reference time for AGE cells. */
export interface PrintContext {
  now: Date;
}

export interface TablePrinter<T = any> {
  columns: TableColumnDefinition[];
  cells(obj: T, ctx: PrintContext): unknown[];
  /** Optional row conditions (only pods use them upstream). */
  conditions?(obj: T): TableRowCondition[] | undefined;
}
