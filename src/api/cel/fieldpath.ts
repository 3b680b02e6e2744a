// Field paths of validation errors as apimachinery's field.Path prints them, and a rule's
// `fieldPath` resolved against its schema (upstream's cel.ValidFieldPath): `.a.b`,
// `.a['key.with.dots']`, map keys through additionalProperties.

import { additionalProperties, properties, type Schema } from './schema.js';

/** A field path; undefined is the root, which field.Path prints as `<nil>`. */
export type FieldPath = string | undefined;

export const rootPathText = '<nil>';

export const pathText = (p: FieldPath): string => p ?? rootPathText;

export const childPath = (p: FieldPath, name: string): string => (p === undefined ? name : `${p}.${name}`);

export const keyPath = (p: FieldPath, key: string): string => `${p ?? ''}[${key}]`;

export const indexPath = (p: FieldPath, i: number): string => `${p ?? ''}[${i}]`;

function unescapeSingleQuote(s: string): string {
  return s.replace(/\\./g, (m) => {
    const map: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', "'": "'", '\\': '\\' };
    const r = map[m[1]!];
    if (r === undefined) throw new Error(`invalid string literal: invalid escape char ${m}`);
    return r;
  });
}

/** Tokens of a JSON path: `.`, `[`, `]`, single-quoted strings, and the text between them. */
function tokenize(path: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path[i]!;
    if (c === "'") {
      let j = i + 1;
      while (j < path.length && !(path[j] === "'" && path[j - 1] !== '\\')) j++;
      out.push(path.slice(i, Math.min(j + 1, path.length)));
      i = j + 1;
      continue;
    }
    if (c === '.' || c === '[' || c === ']') {
      out.push(c);
      i++;
      continue;
    }
    let j = i;
    while (j < path.length && !'.[]'.includes(path[j]!) && path[j] !== "'") j++;
    if (j === i) j++;
    out.push(path.slice(i, j));
    i = j;
  }
  return out;
}

/**
 * The normalized field path a rule's `fieldPath` names under `schema` (as field.Path prints it
 * from no parent: `a.b`, `a[key]`), or the reason it names no field.
 */
export function validFieldPath(jsonPath: string, schema: Schema, allowArrayNotation = true): { path: string } | { error: string } {
  const toks = tokenize(jsonPath);
  let path: FieldPath;
  let s: Schema | undefined = schema;
  const append = (name: string, named: boolean): string | undefined => {
    if (!named) {
      path = keyPath(path, name);
      s = additionalProperties(s!);
      return undefined;
    }
    path = childPath(path, name);
    const props: Record<string, Schema> = properties(s!) ?? {};
    const next: Schema | undefined = Object.prototype.hasOwnProperty.call(props, name) ? props[name] : undefined;
    if (!next) return 'does not refer to a valid field';
    s = next;
    return undefined;
  };
  const namedOrKey = (): boolean | undefined => {
    if (s && s.properties !== undefined && s.properties !== null) return true;
    if (s && additionalProperties(s)) return false;
    return undefined;
  };
  for (let i = 0; i < toks.length; i++) {
    const tok = toks[i]!;
    if (tok === '[') {
      if (!allowArrayNotation) return { error: 'array notation is not allowed' };
      const q = toks[++i];
      if (q === undefined) return { error: 'unexpected end of JSON path' };
      if (q.length < 2 || q[0] !== "'" || q[q.length - 1] !== "'") return { error: `expected single quoted string but got ${q}` };
      let name: string;
      try {
        name = unescapeSingleQuote(q.slice(1, -1));
      } catch (err) {
        return { error: err instanceof Error ? err.message : String(err) };
      }
      const named = namedOrKey();
      if (named === undefined) return { error: 'does not refer to a valid field' };
      const e = append(name, named);
      if (e) return { error: e };
      const close = toks[++i];
      if (close === undefined) return { error: 'unexpected end of JSON path' };
      if (close !== ']') return { error: `expected ] but got ${close}` };
    } else if (tok === '.') {
      const name = toks[++i];
      if (name === undefined) return { error: 'unexpected end of JSON path' };
      const named = namedOrKey();
      if (named === undefined) return { error: 'does not refer to a valid field' };
      const e = append(name, named);
      if (e) return { error: e };
    } else {
      return { error: `expected [ or . but got: ${tok}` };
    }
  }
  return { path: path ?? rootPathText };
}
