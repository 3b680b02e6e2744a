// kubectl's JSONPath template subset for `-o jsonpath=...`:
//   text outside braces is printed verbatim; `{.a.b}` prints the value(s), space-separated;
//   `{"\n"}` prints a literal; `{range EXPR}...{end}` repeats its body for each value;
//   path steps: `.name`, `['name']`, `[n]`, `[-n]`, `[a:b]`, `[*]`, `.*`, `..name`,
//   `[?(@.path OP value)]` with OP in == != < <= > >= (or `[?(@.path)]` for existence),
//   `@` for the current value; dots inside a name are escaped `\.`.
// Missing keys print nothing (kubectl's jsonpath printer allows missing keys). Strings print
// raw, other scalars as text, maps and lists as JSON.

type Step =
  | { t: 'field'; name: string }
  | { t: 'wild' }
  | { t: 'index'; i: number }
  | { t: 'slice'; start?: number; end?: number }
  | { t: 'recursive'; name: string | undefined }
  | { t: 'filter'; left: Step[]; op?: string; right?: Step[] | { literal: unknown } };

type Node = { t: 'text'; text: string } | { t: 'expr'; steps: Step[] } | { t: 'literal'; text: string } | { t: 'range'; steps: Step[]; body: Node[] };

export class JsonPathError extends Error {}

function unquote(s: string): string {
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

function children(v: unknown): unknown[] {
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

export function evaluatePath(steps: Step[], start: unknown): unknown[] {
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
          if (Array.isArray(v)) {
            const idx = st.i < 0 ? v.length + st.i : st.i;
            if (idx >= 0 && idx < v.length) next.push(v[idx]);
          }
          break;
        case 'slice':
          if (Array.isArray(v)) next.push(...v.slice(st.start ?? 0, st.end ?? v.length));
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

/** Parses a template; a template without braces is taken as one expression. */
export function parseTemplate(template: string): Node[] {
  const src = template.includes('{') ? template : `{${template}}`;
  const root: Node[] = [];
  const stack: { body: Node[] }[] = [{ body: root }];
  let i = 0;
  const top = () => stack[stack.length - 1]!.body;
  while (i < src.length) {
    const open = src.indexOf('{', i);
    if (open < 0) {
      top().push({ t: 'text', text: src.slice(i) });
      break;
    }
    if (open > i) top().push({ t: 'text', text: src.slice(i, open) });
    // The action ends at the first '}' outside quotes.
    let j = open + 1;
    let quote: string | undefined;
    for (; j < src.length; j++) {
      const d = src[j]!;
      if (quote) {
        if (d === '\\') j++;
        else if (d === quote) quote = undefined;
      } else if (d === '"' || d === "'") quote = d;
      else if (d === '}') break;
    }
    if (j >= src.length) throw new JsonPathError(`unclosed action in ${JSON.stringify(template)}`);
    const action = src.slice(open + 1, j).trim();
    i = j + 1;
    if (action === 'end') {
      if (stack.length === 1) throw new JsonPathError(`{end} without {range} in ${JSON.stringify(template)}`);
      stack.pop();
    } else if (action.startsWith('range ')) {
      const node: Node = { t: 'range', steps: parsePath(action.slice(6)), body: [] };
      top().push(node);
      stack.push({ body: node.body });
    } else if (/^(['"]).*\1$/s.test(action)) top().push({ t: 'literal', text: unquote(action) });
    else top().push({ t: 'expr', steps: parsePath(action) });
  }
  if (stack.length > 1) throw new JsonPathError(`{range} without {end} in ${JSON.stringify(template)}`);
  return root;
}

function render(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function exec(nodes: Node[], data: unknown): string {
  let out = '';
  for (const n of nodes) {
    switch (n.t) {
      case 'text':
      case 'literal':
        out += n.text;
        break;
      case 'expr':
        out += evaluatePath(n.steps, data).map(render).join(' ');
        break;
      case 'range':
        for (const item of evaluatePath(n.steps, data)) {
          const items = n.steps.length > 0 ? [item] : children(item);
          for (const it of items) out += exec(n.body, it);
        }
        break;
    }
  }
  return out;
}

/** Evaluates a kubectl JSONPath template against `data`. Throws JsonPathError on bad syntax. */
export function executeTemplate(template: string, data: unknown): string {
  return exec(parseTemplate(template), data);
}

/**
 * kubectl's relaxed JSONPath of --sort-by and custom-columns: `.a.b`, `a.b`, `{.a.b}` and
 * `{a.b}` all become `{.a.b}` (one expression; no text or range around it).
 */
export function relaxedJsonPath(expr: string): string {
  if (expr === '') return expr;
  const m = /^\{\.?([^{}]+)\}$|^\.?([^{}]+)$/.exec(expr);
  if (!m) throw new JsonPathError(`unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'`);
  return `{.${m[1] ?? m[2] ?? ''}}`;
}

/** The values the expressions of `template` find in `data` (text and literals ignored), in order. */
export function findValues(template: string, data: unknown): unknown[] {
  const out: unknown[] = [];
  for (const n of parseTemplate(template)) if (n.t === 'expr') out.push(...evaluatePath(n.steps, data));
  return out;
}
