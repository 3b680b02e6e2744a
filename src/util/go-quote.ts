// Go's %q of a string, shared by the API's messages (pod-security) and the CLI's (a 422's
// "The Pod \"x\" is invalid"), which print what the upstream server and kubectl print.
// Not the CLI's patch/edit goQuote (cli/commands/patch.ts): that one also escapes U+00AD,
// U+2028, U+2029 and U+FEFF and keeps lone surrogates; the two differ on purpose in those cases.

/**
 * A string as Go's %q prints it (strconv.Quote): double-quoted, with \a \b \f \n \r \t \v \\ \"
 * escaped, other control characters as \xNN (below 0x80) or \uNNNN, the rest as it is.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const named: Record<number, string> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v', 92: '\\\\', 34: '\\"' };
    if (named[cp] !== undefined) out += named[cp];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if ((cp >= 0x80 && cp < 0xa0) || (cp >= 0xd800 && cp <= 0xdfff)) out += cp >= 0xd800 ? '\\ufffd' : `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
