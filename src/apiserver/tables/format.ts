// Cell-formatting helpers shared by the printers. Objects reach the printers as decoded JSON,
// so every accessor tolerates absent or mistyped fields and falls back to the Go zero value
// (empty string, 0, empty list), which is what upstream prints for an unset field.

export type Obj = Record<string, unknown>;

export function rec(v: unknown): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function int(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Number of keys of a map field (ConfigMap/Secret data). */
export function countKeys(v: unknown): number {
  return Object.keys(rec(v)).length;
}

/** labels.FormatLabels: `k=v` pairs sorted by key, joined by ","; `<none>` when empty. */
export function formatLabels(m: unknown): string {
  const entries = Object.entries(rec(m));
  if (entries.length === 0) return '<none>';
  return entries
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${str(v)}`)
    .join(',');
}

/**
 * metav1.FormatLabelSelector: the selector's canonical string (requirements sorted by key,
 * values sorted), `<none>` when it selects nothing or everything, `<error>` when malformed.
 */
export function formatLabelSelector(sel: unknown): string {
  if (sel === undefined || sel === null) return '<none>';
  const s = rec(sel);
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(rec(s['matchLabels']))) {
    reqs.push({ key: k, text: `${k}=${str(v)}` });
  }
  for (const e of list(s['matchExpressions'])) {
    const r = rec(e);
    const key = str(r['key']);
    const values = list(r['values']).map(str);
    const sorted = [...new Set(values)].sort();
    switch (r['operator']) {
      case 'In':
        if (values.length === 0) return '<error>';
        reqs.push({ key, text: `${key} in (${sorted.join(',')})` });
        break;
      case 'NotIn':
        if (values.length === 0) return '<error>';
        reqs.push({ key, text: `${key} notin (${sorted.join(',')})` });
        break;
      case 'Exists':
        if (values.length > 0) return '<error>';
        reqs.push({ key, text: key });
        break;
      case 'DoesNotExist':
        if (values.length > 0) return '<error>';
        reqs.push({ key, text: `!${key}` });
        break;
      default:
        return '<error>';
    }
  }
  if (reqs.length === 0) return '<none>';
  // Stable sort by key keeps matchLabels ahead of expressions on the same key.
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** layoutContainerCells: container names and images, each joined by ",". */
export function layoutContainerCells(containers: unknown): [names: string, images: string] {
  const cs = list(containers).map(rec);
  return [cs.map((c) => str(c['name'])).join(','), cs.map((c) => str(c['image'])).join(',')];
}

/** net.JoinHostPort: brackets around IPv6 literals. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The controller owner reference (controller: true), if any. */
export function controllerOf(metadata: unknown): Obj | undefined {
  for (const ref of list(rec(metadata)['ownerReferences'])) {
    const r = rec(ref);
    if (r['controller'] === true) return r;
  }
  return undefined;
}

/** `kind.group` lower-cased then `/name` (upstream formatResourceName); core group gives `kind/name`. */
export function formatResourceName(apiVersion: string, kind: string, name: string): string {
  const slash = apiVersion.indexOf('/');
  const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
  if (kind === '' && group === '') return name;
  const gk = group === '' ? kind : `${kind}.${group}`;
  return `${gk.toLowerCase()}/${name}`;
}
