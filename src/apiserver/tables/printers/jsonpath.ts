// The JSONPath of CRD printer columns, as upstream's k8s.io/client-go/util/jsonpath evaluates
// it for a column: every value the path reaches, in document order (a column shows the first).
//
// Supported: an optional `{...}` wrapper and leading `$`; `.field`, `['field']`, `["field"]`;
// `[n]` (negative from the end) and `[start:end]`; `[*]` and `.*` (every element or value);
// `..field` (recursive descent); filters `[?(@.path)]` (present and not false or empty) and
// `[?(@.path OP literal)]` with OP one of == != < <= > >= and a quoted string, number, true,
// false or null. Anything else reaches nothing (the cell is empty), never an error.

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'slice'; start?: number; end?: number }
  | { kind: 'wildcard' }
  | { kind: 'descend'; name: string }
  | { kind: 'filter'; path: Step[]; op?: string; value?: unknown };

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The steps of `path`, or undefined when it is not of the supported form. */
function parse(path: string): Step[] | undefined {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1).trim();
  if (p.startsWith('$')) p = p.slice(1);
  return parseSteps(p);
}

function parseSteps(p: string): Step[] | undefined {
  const steps: Step[] = [];
  let i = 0;
  while (i < p.length) {
    if (p.startsWith('..', i)) {
      const m = /^[A-Za-z0-9_-]+/.exec(p.slice(i + 2));
      if (!m) return undefined;
      steps.push({ kind: 'descend', name: m[0] });
      i += 2 + m[0].length;
    } else if (p[i] === '.') {
      if (p[i + 1] === '*') {
        steps.push({ kind: 'wildcard' });
        i += 2;
        continue;
      }
      const m = /^[^.[\]]+/.exec(p.slice(i + 1));
      if (!m) return undefined;
      steps.push({ kind: 'field', name: m[0] });
      i += 1 + m[0].length;
    } else if (p[i] === '[') {
      const close = matchingBracket(p, i);
      if (close < 0) return undefined;
      const inner = p.slice(i + 1, close).trim();
      const step = parseBracket(inner);
      if (!step) return undefined;
      steps.push(step);
      i = close + 1;
    } else {
      return undefined;
    }
  }
  return steps;
}

/** The index of the `]` closing the `[` at `open`, skipping quoted text and nested brackets. */
function matchingBracket(p: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < p.length; i++) {
    const c = p[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i;
  }
  return -1;
}

function parseBracket(inner: string): Step | undefined {
  if (inner === '*') return { kind: 'wildcard' };
  const quoted = /^(['"])(.*)\1$/.exec(inner);
  if (quoted) return { kind: 'field', name: quoted[2]! };
  if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  const slice = /^(-?\d*):(-?\d*)$/.exec(inner);
  if (slice) return { kind: 'slice', ...(slice[1] ? { start: Number(slice[1]) } : {}), ...(slice[2] ? { end: Number(slice[2]) } : {}) };
  const filter = /^\?\((.*)\)$/.exec(inner);
  if (!filter) return undefined;
  const m = /^@((?:\.[^.\s=!<>[\]]+|\[[^\]]*\])*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+))?$/.exec(filter[1]!.trim());
  if (!m) return undefined;
  const path = parseSteps(m[1]!);
  if (!path) return undefined;
  if (m[2] === undefined) return { kind: 'filter', path };
  const lit = literal(m[3]!.trim());
  return lit.ok ? { kind: 'filter', path, op: m[2], value: lit.value } : undefined;
}

function literal(text: string): { ok: true; value: unknown } | { ok: false } {
  const q = /^(['"])(.*)\1$/.exec(text);
  if (q) return { ok: true, value: q[2] };
  if (text === 'true' || text === 'false') return { ok: true, value: text === 'true' };
  if (text === 'null') return { ok: true, value: null };
  if (/^-?\d+(\.\d+)?$/.test(text)) return { ok: true, value: Number(text) };
  return { ok: false };
}

function step(values: unknown[], s: Step): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    switch (s.kind) {
      case 'field':
        if (isObj(v) && s.name in v) out.push(v[s.name]);
        break;
      case 'index':
        if (Array.isArray(v)) {
          const i = s.index < 0 ? v.length + s.index : s.index;
          if (i >= 0 && i < v.length) out.push(v[i]);
        }
        break;
      case 'slice':
        if (Array.isArray(v)) out.push(...v.slice(s.start, s.end));
        break;
      case 'wildcard':
        if (Array.isArray(v)) out.push(...v);
        else if (isObj(v)) out.push(...Object.values(v));
        break;
      case 'descend':
        descend(v, s.name, out);
        break;
      case 'filter':
        for (const item of Array.isArray(v) ? v : isObj(v) ? Object.values(v) : []) if (matches(item, s)) out.push(item);
        break;
    }
  }
  return out;
}

function descend(v: unknown, name: string, out: unknown[]): void {
  if (Array.isArray(v)) {
    for (const x of v) descend(x, name, out);
  } else if (isObj(v)) {
    if (name in v) out.push(v[name]);
    for (const x of Object.values(v)) descend(x, name, out);
  }
}

function matches(item: unknown, f: Extract<Step, { kind: 'filter' }>): boolean {
  const found = evaluate([item], f.path);
  if (f.op === undefined) return found.some((x) => x !== undefined && x !== null && x !== false && x !== '');
  const want = f.value;
  return found.some((x) => {
    switch (f.op) {
      case '==':
        return x === want;
      case '!=':
        return x !== want;
      default: {
        if (typeof x !== typeof want || (typeof x !== 'number' && typeof x !== 'string')) return false;
        const a = x as number | string;
        const b = want as number | string;
        return f.op === '<' ? a < b : f.op === '<=' ? a <= b : f.op === '>' ? a > b : a >= b;
      }
    }
  });
}

function evaluate(values: unknown[], steps: Step[]): unknown[] {
  let cur = values;
  for (const s of steps) cur = step(cur, s);
  return cur;
}

/** Every value `path` reaches in `obj`, in document order; [] when none, or the path is not supported. */
export function jsonPathValues(obj: unknown, path: string): unknown[] {
  const steps = parse(path);
  return steps ? evaluate([obj], steps) : [];
}
