import { describe, expect, it } from 'vitest';
import { goJsonSyntaxError } from './json-syntax.js';

describe('goJsonSyntaxError', () => {
  it("words each refusal as Go's encoding/json scanner does", () => {
    const cases: [string, string][] = [
      ['', 'unexpected end of JSON input'],
      ['   ', 'unexpected end of JSON input'],
      ['{bad json', "invalid character 'b' looking for beginning of object key string"],
      ['{"a" 1}', "invalid character '1' after object key"],
      ['{"a":1 "b":2}', "invalid character '\"' after object key:value pair"],
      ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
      ['[1 2]', "invalid character '2' after array element"],
      ['[1,]', "invalid character ']' looking for beginning of value"],
      ['{"a":x}', "invalid character 'x' looking for beginning of value"],
      ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
      ['{"a":1}}', "invalid character '}' after top-level value"],
      ['{"a":1} x', "invalid character 'x' after top-level value"],
      ['{"a":"x\ty"}', "invalid character '\\t' in string literal"],
      ['{"a":"\\q"}', "invalid character 'q' in string escape code"],
      ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
      ['-x', "invalid character 'x' in numeric literal"],
      ['-', "invalid character ' ' in numeric literal"],
      ['1.', "invalid character ' ' after decimal point in numeric literal"],
      ['1.e5', "invalid character 'e' after decimal point in numeric literal"],
      ['1e+', "invalid character ' ' in exponent of numeric literal"],
      ['01', "invalid character '1' after top-level value"],
      ['[01]', "invalid character '1' after array element"],
      ['tru', "invalid character ' ' in literal true (expecting 'e')"],
      ['nul1', "invalid character '1' in literal null (expecting 'l')"],
      ['{"a":fals}', "invalid character '}' in literal false (expecting 'e')"],
      ['{"a":"b', 'unexpected end of JSON input'],
      ['{"a":', 'unexpected end of JSON input'],
      ['[', 'unexpected end of JSON input'],
      ['"\\', "invalid character ' ' in string escape code"],
      ['{é}', "invalid character 'Ã' looking for beginning of object key string"],
      ['\u0001', "invalid character '\\x01' looking for beginning of value"],
    ];
    for (const [text, want] of cases) expect(goJsonSyntaxError(text), JSON.stringify(text)).toBe(want);
  });

  it('accepts exactly what JSON.parse accepts, on valid texts and on every one-character cut or change of them', () => {
    const valid = ['{}', '[]', ' {"a" : [1, -2.5e+3, true, false, null, "x\\n\\u00e9"] , "b":{}} ', '0', '-0.0E-0', '"s"', '[[[]],{"k":[{}]}]'];
    const junk = ['', ' ', ',', ':', '}', ']', '{', '[', '"', '\\', '0', '-', '.', 'e', 'x', 't', '\t', '\u0001'];
    let checked = 0;
    for (const v of valid) {
      expect(goJsonSyntaxError(v), v).toBeUndefined();
      for (let i = 0; i <= v.length; i++) {
        for (const j of junk) {
          for (const text of [v.slice(0, i) + j + v.slice(i), v.slice(0, i) + j + v.slice(i + 1)]) {
            let ok = true;
            try {
              JSON.parse(text);
            } catch {
              ok = false;
            }
            expect(goJsonSyntaxError(text) === undefined, JSON.stringify(text)).toBe(ok);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(2000);
  });
});
