// JSONPath as Kubernetes evaluates it (k8s.io/client-go/util/jsonpath), the path part: what
// kubectl's `-o jsonpath`, --sort-by and custom-columns and the API server's custom resource
// printer columns read.
//   path steps: `.name`, `['name']`, `[n]`, `[-n]`, `[a:b]`, `[*]`, `.*`, `..name`,
//   `[?(@.path OP value)]` with OP in == != < <= > >= (or `[?(@.path)]` for existence),
//   `@` for the current value; dots inside a name are escaped `\.`.
// evaluatePath returns every value a path reaches, in document order; a missing key reaches
// nothing. parsePath throws JsonPathError for what it cannot read.

export type Step =
  | { t: 'field'; name: string }
  | { t: 'wild' }
  | { t: 'index'; i: number }
  | { t: 'slice'; start?: number; end?: number }
  | { t: 'recursive'; name: string | undefined }
  | { t: 'filter'; left: Step[]; op?: string; right?: Step[] | { literal: unknown } };

export class JsonPathError extends Error {}

/**
 * A template that parsed but cannot be run on this data, in upstream's words: an index or slice
 * outside its array (`array index out of bounds: index 5, length 2`), an index into what is not
 * an array (`string is not array or slice`). Only a strict evaluation throws it.
 */
export class JsonPathExecError extends Error {}

/** The Go type name of a decoded JSON value, as upstream's jsonpath errors name it. */
function goTypeOf(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return 'map[string]interface {}';
}

/**
 * Upstream's evalArray bounds for `[start:end]` (an index i is [i:i+1]) on an array of `len`:
 * negative positions count from the end; asking for no element is allowed anywhere.
 */
function strictBounds(start: number | undefined, end: number | undefined, len: number, index: boolean): [number, number] {
  let a = start ?? 0;
  if (a < 0) a += len;
  let b = index ? a + 1 : end ?? len;
  if (!index && b < 0) b += len;
  if (b !== a) {
    if (a >= len || a < 0) throw new JsonPathExecError(`array index out of bounds: index ${a}, length ${len}`);
    if (b > len || b < 0) throw new JsonPathExecError(`array index out of bounds: index ${b - 1}, length ${len}`);
    if (a > b) throw new JsonPathExecError(`starting index ${a} is greater than ending index ${b}`);
  }
  return [a, b];
}

export function unquote(s: string): string {
  const q = s[0];
  const inner = s.slice(1, -1);
  if (q === '"') {
    try {
      return JSON.parse(s) as string;
    } catch {
      return inner;
    }
  }
  return inner.replace(/\\'/g, "'");
}

function parseLiteral(s: string): unknown {
  const t = s.trim();
  if (/^(['"]).*\1$/s.test(t)) return unquote(t);
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t !== '' && !Number.isNaN(Number(t))) return Number(t);
  return t;
}

/** Parses a path like `.a.b[0]['c'][?(@.x=="y")]..z` (a leading `@` or `$` is allowed). */
export function parsePath(src: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  const s = src.trim();
  if (s[0] === '@' || s[0] === '$') i = 1;
  const readName = (): string => {
    let name = '';
    while (i < s.length) {
      const c = s[i]!;
      if (c === '\\' && s[i + 1] === '.') {
        name += '.';
        i += 2;
        continue;
      }
      if (c === '.' || c === '[') break;
      name += c;
      i++;
    }
    return name;
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === '.') {
      if (s[i + 1] === '.') {
        i += 2;
        if (s[i] === '*') {
          i++;
          steps.push({ t: 'recursive', name: undefined });
        } else steps.push({ t: 'recursive', name: readName() });
        continue;
      }
      i++;
      if (s[i] === '*') {
        i++;
        steps.push({ t: 'wild' });
        continue;
      }
      const name = readName();
      if (name) steps.push({ t: 'field', name });
      continue;
    }
    if (c === '[') {
      // Find the matching ']' (quotes and nested brackets inside filters are skipped).
      let depth = 0;
      let j = i;
      let quote: string | undefined;
      for (; j < s.length; j++) {
        const d = s[j]!;
        if (quote) {
          if (d === '\\') j++;
          else if (d === quote) quote = undefined;
          continue;
        }
        if (d === '"' || d === "'") quote = d;
        else if (d === '[') depth++;
        else if (d === ']' && --depth === 0) break;
      }
      if (j >= s.length) throw new JsonPathError(`unterminated [ in ${JSON.stringify(src)}`);
      const inner = s.slice(i + 1, j).trim();
      i = j + 1;
      if (inner === '*') steps.push({ t: 'wild' });
      else if (/^(['"]).*\1$/s.test(inner)) steps.push({ t: 'field', name: unquote(inner) });
      else if (/^-?\d+$/.test(inner)) steps.push({ t: 'index', i: Number(inner) });
      else if (/^-?\d*:-?\d*$/.test(inner)) {
        const [a, b] = inner.split(':');
        const slice: Step = { t: 'slice' };
        if (a) slice.start = Number(a);
        if (b) slice.end = Number(b);
        steps.push(slice);
      } else if (inner.startsWith('?(') && inner.endsWith(')')) {
        const body = inner.slice(2, -1).trim();
        const m = /^(.*?)\s*(==|!=|<=|>=|<|>)\s*(.*)$/s.exec(body);
        if (!m) steps.push({ t: 'filter', left: parsePath(body) });
        else {
          const right = m[3]!.trim();
          steps.push({ t: 'filter', left: parsePath(m[1]!), op: m[2]!, right: right.startsWith('@') ? parsePath(right) : { literal: parseLiteral(right) } });
        }
      } else throw new JsonPathError(`unsupported subscript [${inner}] in ${JSON.stringify(src)}`);
      continue;
    }
    if (steps.length === 0 && i === 0) {
      // A bare first name (`metadata.name`) is read as `.metadata.name`.
      const name = readName();
      if (name) steps.push({ t: 'field', name });
      continue;
    }
    throw new JsonPathError(`unexpected ${JSON.stringify(c)} in ${JSON.stringify(src)}`);
  }
  return steps;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isObj(v)) return Object.values(v);
  return [];
}

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==':
      return a === b || (a !== undefined && b !== undefined && String(a) === String(b) && typeof a !== 'object');
    case '!=':
      return !compare(a, '==', b);
    case '<':
      return Number(a) < Number(b);
    case '<=':
      return Number(a) <= Number(b);
    case '>':
      return Number(a) > Number(b);
    case '>=':
      return Number(a) >= Number(b);
    default:
      return false;
  }
}

export function evaluatePath(steps: Step[], start: unknown, strict = false): unknown[] {
  let cur: unknown[] = [start];
  for (const st of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      switch (st.t) {
        case 'field':
          if (isObj(v) && st.name in v) next.push(v[st.name]);
          break;
        case 'wild':
          next.push(...children(v));
          break;
        case 'index':
          if (strict && v !== null && v !== undefined) {
            if (!Array.isArray(v)) throw new JsonPathExecError(`${goTypeOf(v)} is not array or slice`);
            const [a] = strictBounds(st.i, undefined, v.length, true);
            next.push(v[a]);
          } else if (Array.isArray(v)) {
            const idx = st.i < 0 ? v.length + st.i : st.i;
            if (idx >= 0 && idx < v.length) next.push(v[idx]);
          }
          break;
        case 'slice':
          if (strict && v !== null && v !== undefined) {
            if (!Array.isArray(v)) throw new JsonPathExecError(`${goTypeOf(v)} is not array or slice`);
            const [a, b] = strictBounds(st.start, st.end, v.length, false);
            next.push(...v.slice(a, b));
          } else if (Array.isArray(v)) next.push(...v.slice(st.start ?? 0, st.end ?? v.length));
          break;
        case 'recursive': {
          const walk = (x: unknown): void => {
            if (st.name === undefined) next.push(...children(x));
            else if (isObj(x) && st.name in x) next.push(x[st.name]);
            for (const c of children(x)) walk(c);
          };
          walk(v);
          break;
        }
        case 'filter':
          for (const item of children(v)) {
            const left = evaluatePath(st.left, item);
            if (!st.op) {
              if (left.length > 0 && left[0] !== false && left[0] !== null) next.push(item);
              continue;
            }
            const right = st.right && 'literal' in st.right ? st.right.literal : evaluatePath(st.right ?? [], item)[0];
            if (left.length > 0 && compare(left[0], st.op, right)) next.push(item);
          }
          break;
      }
    }
    cur = next;
  }
  return cur;
}

/**
 * Every value one path expression reaches in `obj` (a `{...}` wrapper and a leading `$` or `@`
 * allowed), as upstream's printer columns find their results; [] when the path is not readable.
 */
export function jsonPathValues(obj: unknown, path: string): unknown[] {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1).trim();
  try {
    return evaluatePath(parsePath(p), obj);
  } catch (err) {
    if (err instanceof JsonPathError) return [];
    throw err;
  }
}
