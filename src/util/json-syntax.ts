// Why a JSON text is not JSON, in the words of Go's encoding/json scanner (which upstream's API
// server decodes with), so a malformed body or patch gets the message kubectl users know
// ("invalid character 'b' looking for beginning of object key string") rather than V8's.
//
// Contract: goJsonSyntaxError(text) is undefined exactly when the text is one JSON value with
// optional whitespace around it (JSON.parse accepts it); otherwise the message Go gives for the
// first byte its scanner refuses, or "unexpected end of JSON input". Go scans UTF-8 bytes: a
// refused non-ASCII character is reported by its first byte, as Go does.

/** The container a value is in: an object's member value (its key read), or an array's element. */
const enum Ctx {
  ObjectValue,
  ArrayValue,
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** Go's quoteChar of the scanner's byte: `'x'`, with strconv.Quote's escapes. */
function quoteChar(text: string, i: number): string {
  const code = text.codePointAt(i)!;
  const byte = code < 0x80 ? code : Buffer.from(String.fromCodePoint(code), 'utf8')[0]!;
  if (byte === 0x27) return `'\\''`;
  if (byte === 0x22) return `'"'`;
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v', 92: '\\\\' };
  if (named[byte] !== undefined) return `'${named[byte]}'`;
  if (byte < 0x20 || byte === 0x7f) return `'\\x${byte.toString(16).padStart(2, '0')}'`;
  if ((byte >= 0x80 && byte <= 0xa0) || byte === 0xad) return `'\\u00${byte.toString(16).padStart(2, '0')}'`;
  return `'${String.fromCharCode(byte)}'`;
}

/** Go's message for `text`, or undefined when it is valid JSON (see the file comment). */
export function goJsonSyntaxError(text: string): string | undefined {
  const stack: Ctx[] = [];
  // At the end of the text Go's scanner is fed one space: inside a number, a literal or an
  // escape that space is the refused character.
  const bad = (at: number, context: string): string => `invalid character ${at >= text.length ? "' '" : quoteChar(text, at)} ${context}`;
  let i = 0;
  const n = text.length;
  const skipSpace = (): void => {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
  };
  // Each loop: a value starts at i (after whitespace), then what may follow it.
  for (;;) {
    skipSpace();
    if (i >= n) return 'unexpected end of JSON input';
    let c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      // '{' or '['
      i++;
      skipSpace();
      if (i >= n) return 'unexpected end of JSON input';
      const close = c === 0x7b ? 0x7d : 0x5d;
      if (text.charCodeAt(i) === close) {
        i++;
      } else if (c === 0x7b) {
        stack.push(Ctx.ObjectValue);
        const err = objectKey();
        if (err) return err;
        continue;
      } else {
        stack.push(Ctx.ArrayValue);
        continue;
      }
    } else if (c === 0x22) {
      const err = scanString();
      if (err) return err;
    } else if (c === 0x2d || isDigit(c)) {
      const err = scanNumber();
      if (err) return err;
    } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
      const word = c === 0x74 ? 'true' : c === 0x66 ? 'false' : 'null';
      for (let k = 1; k < word.length; k++) {
        if (i + k >= n || text[i + k] !== word[k]) return bad(i + k, `in literal ${word} (expecting '${word[k]}')`);
      }
      i += word.length;
    } else {
      return bad(i, 'looking for beginning of value');
    }
    // A value ended: close containers and find where the next value starts.
    for (;;) {
      skipSpace();
      const ctx = stack[stack.length - 1];
      if (ctx === undefined) return i >= n ? undefined : bad(i, 'after top-level value');
      if (i >= n) return 'unexpected end of JSON input';
      c = text.charCodeAt(i);
      const inObject = ctx === Ctx.ObjectValue;
      if (c === (inObject ? 0x7d : 0x5d)) {
        stack.pop(); // '}' or ']': the container is a value that ended
        i++;
        continue;
      }
      if (c !== 0x2c) return bad(i, inObject ? 'after object key:value pair' : 'after array element');
      i++;
      if (inObject) {
        const err = objectKey();
        if (err) return err;
      }
      break;
    }
  }

  /** An object's key and its ':' from i (the value comes next). */
  function objectKey(): string | undefined {
    skipSpace();
    if (i >= n) return 'unexpected end of JSON input';
    if (text.charCodeAt(i) !== 0x22) return bad(i, 'looking for beginning of object key string');
    const err = scanString();
    if (err) return err;
    skipSpace();
    if (i >= n) return 'unexpected end of JSON input';
    if (text.charCodeAt(i) !== 0x3a) return bad(i, 'after object key');
    i++;
    return undefined;
  }

  /** A string from its opening quote at i; leaves i after the closing quote. */
  function scanString(): string | undefined {
    i++;
    for (;;) {
      if (i >= n) return 'unexpected end of JSON input';
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c === 0x5c) {
        i++;
        if (i < n && text.charCodeAt(i) === 0x75) {
          for (let k = 1; k <= 4; k++) {
            if (i + k >= n || !isHex(text.charCodeAt(i + k))) return bad(i + k, 'in \\u hexadecimal character escape');
          }
          i += 5;
          continue;
        }
        if (i >= n || !'bfnrt\\/"'.includes(text[i]!)) return bad(i, 'in string escape code');
        i++;
        continue;
      }
      if (c < 0x20) return bad(i, 'in string literal');
      i++;
    }
  }

  /** A number from i; leaves i after it. */
  function scanNumber(): string | undefined {
    if (text.charCodeAt(i) === 0x2d) {
      i++;
      if (i >= n || !isDigit(text.charCodeAt(i))) return bad(i, 'in numeric literal');
    }
    if (text.charCodeAt(i) === 0x30) i++;
    else while (i < n && isDigit(text.charCodeAt(i))) i++;
    if (i < n && text.charCodeAt(i) === 0x2e) {
      i++;
      if (i >= n || !isDigit(text.charCodeAt(i))) return bad(i, 'after decimal point in numeric literal');
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    }
    if (i < n && (text.charCodeAt(i) === 0x65 || text.charCodeAt(i) === 0x45)) {
      i++;
      if (i < n && (text.charCodeAt(i) === 0x2b || text.charCodeAt(i) === 0x2d)) i++;
      if (i >= n || !isDigit(text.charCodeAt(i))) return bad(i, 'in exponent of numeric literal');
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    }
    return undefined;
  }
}
