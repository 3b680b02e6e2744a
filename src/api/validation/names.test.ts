import { describe, expect, it } from 'vitest';
import {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidIP,
  isValidLabelValue,
  isValidPathSegmentName,
  isValidPercent,
  isValidPortName,
  nameIsDNSSubdomain,
} from './names.js';
import { compareQuantity, formatQuantity, parseQuantity } from './quantity.js';

describe('name syntax (apimachinery messages)', () => {
  it.each([
    [isDNS1123Subdomain, 'my-app.example', []],
    [isDNS1123Subdomain, 'My_App', ["a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]],
    [isDNS1123Label, 'a.b', ['must not contain dots']],
    [isDNS1123Label, '-x', ["a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]],
    [isDNS1123Label, 'a'.repeat(64), ['must be no more than 63 characters']],
    [isDNS1035Label, '1abc', ["a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"]],
    [isQualifiedName, 'example.com/My_Name.1', []],
    [isQualifiedName, '/x', ['prefix part must be non-empty']],
    [isQualifiedName, 'a/b/c', ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]],
    [isQualifiedName, 'bad key', ["name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]],
    [isValidLabelValue, '', []],
    [isValidLabelValue, 'x'.repeat(64), ['must be no more than 63 characters']],
    [isValidLabelValue, 'a b', ["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]],
    [isConfigMapKey, '..x', ["must not start with '..'"]],
    [isEnvVarName, 'MY VAR.1', []],
    [isEnvVarName, 'A=B', ["a valid environment variable name must consist only of printable ASCII characters other than '='"]],
    [isValidPortName, 'HTTP', ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)']],
    [isValidPercent, '5', ["a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"]],
    [isValidIP, '2001:db8::1', []],
    [isValidIP, '10.0.0.256', ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']],
    [isValidPathSegmentName, 'system:node', []],
    [isValidPathSegmentName, 'a/b%', ["may not contain '/'", "may not contain '%'"]],
  ] as const)('%o(%s)', (fn, value, want) => {
    expect(fn(value)).toEqual(want);
  });

  it('generateName prefixes may end with a dash', () => {
    expect(nameIsDNSSubdomain('web-', true)).toEqual([]);
    expect(nameIsDNSSubdomain('web-', false)).toHaveLength(1);
  });
});

describe('quantities', () => {
  it.each([
    ['100m', '100m'],
    ['0.5', '500m'],
    ['1000m', '1'],
    ['1500', '1500'],
    ['15000', '15k'],
    ['1024Mi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['1e3', '1e3'],
    [2, '2'],
  ])('%s prints as %s', (input, want) => {
    const q = parseQuantity(input);
    expect(q).toBeDefined();
    if (q) expect(formatQuantity(q)).toBe(want);
  });

  it('rejects bad syntax and compares exactly', () => {
    expect(parseQuantity('1.2.3')).toBeUndefined();
    expect(parseQuantity('abc')).toBeUndefined();
    const a = parseQuantity('100m');
    const b = parseQuantity('0.1');
    const c = parseQuantity('1Ki');
    const d = parseQuantity('1k');
    if (!a || !b || !c || !d) throw new Error('parse failed');
    expect(compareQuantity(a, b)).toBe(0);
    expect(compareQuantity(c, d)).toBe(1);
  });
});
