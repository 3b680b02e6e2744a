import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/index.js';
import type { LabelSelector } from '../types.js';
import { formatLabelSelector, labelSelectorAsSelector, labelSelectorToString, parseLabelSelector, selectorFromSet } from './index.js';

const KEY_REGEX_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_REGEX_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('parseLabelSelector: canonical form', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['   ', ''],
    ['app=x', 'app=x'],
    ['app==x', 'app==x'],
    ['app!=x', 'app!=x'],
    ['app = x', 'app=x'],
    ['app', 'app'],
    ['!app', '!app'],
    ['! app', '!app'],
    ['app in (b,a)', 'app in (a,b)'],
    ['app in(a)', 'app in (a)'],
    ['app notin (a, b ,c)', 'app notin (a,b,c)'],
    ['app in (a,a)', 'app in (a)'],
    ['app in ()', 'app in ()'],
    ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
    ['app=', 'app='],
    ['app=,b', 'app=,b'],
    ['z=1,a=2', 'a=2,z=1'],
    ['example.com/app=x', 'example.com/app=x'],
    ['in in (in,notin)', 'in in (in,notin)'],
    ['k>5', 'k>5'],
    ['k<5', 'k<5'],
    // The wire example from kubectl (decoded): labelSelector=app+in+%28x%2Cy%29%2C%21foo%2Cpod-template-generation%21%3D7
    ['app in (x,y),!foo,pod-template-generation!=7', 'app in (x,y),!foo,pod-template-generation!=7'],
    ['b,!a', '!a,b'],
  ];
  it.each(cases)('%j -> %j', (input, want) => {
    expect(parseLabelSelector(input).toString()).toBe(want);
  });

  it('the wire example decodes from the query string and parses', () => {
    const q = new URLSearchParams('labelSelector=app+in+%28x%2Cy%29%2C%21foo%2Cpod-template-generation%21%3D7');
    const sel = parseLabelSelector(q.get('labelSelector')!);
    expect(sel.matches({ app: 'x', 'pod-template-generation': '6' })).toBe(true);
    expect(sel.matches({ app: 'y' })).toBe(true);
    expect(sel.matches({ app: 'x', 'pod-template-generation': '7' })).toBe(false);
    expect(sel.matches({ app: 'x', foo: '' })).toBe(false);
    expect(sel.matches({ app: 'z' })).toBe(false);
    expect(sel.matches(undefined)).toBe(false);
  });
});

describe('parseLabelSelector: matching', () => {
  const cases: [string, Record<string, string> | undefined, boolean][] = [
    ['', undefined, true],
    ['', { a: 'b' }, true],
    ['a=b', { a: 'b' }, true],
    ['a=b', { a: 'c' }, false],
    ['a=b', {}, false],
    ['a==b', { a: 'b' }, true],
    ['a!=b', { a: 'b' }, false],
    ['a!=b', { a: 'c' }, true],
    ['a!=b', {}, true],
    ['a', { a: '' }, true],
    ['a', { b: '' }, false],
    ['!a', { b: '' }, true],
    ['!a', { a: 'x' }, false],
    ['a in (x,y)', { a: 'y' }, true],
    ['a in (x,y)', {}, false],
    ['a notin (x,y)', { a: 'z' }, true],
    ['a notin (x,y)', { a: 'x' }, false],
    ['a notin (x,y)', {}, true],
    ['a=', { a: '' }, true],
    ['a=', {}, false],
    ['a in ()', { a: '' }, true],
    ['a=b,c=d', { a: 'b', c: 'd' }, true],
    ['a=b,c=d', { a: 'b', c: 'e' }, false],
    ['k>5', { k: '6' }, true],
    ['k>5', { k: '5' }, false],
    ['k>5', { k: 'x' }, false],
    ['k<5', { k: '-1' }, true],
    // Prototype keys are not labels.
    ['constructor', {}, false],
    ['!toString', {}, true],
  ];
  it.each(cases)('%j matches %j = %s', (sel, labels, want) => {
    expect(parseLabelSelector(sel).matches(labels)).toBe(want);
  });

  it('isEmpty', () => {
    expect(parseLabelSelector('').isEmpty()).toBe(true);
    expect(parseLabelSelector('a').isEmpty()).toBe(false);
  });
});

describe('parseLabelSelector: errors (400 BadRequest, upstream wording)', () => {
  const cases: [string, string][] = [
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['a,', "found '', expected: identifier after ','"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['=a', "found '=', expected: !, identifier, or 'end of string'"],
    ['a in', "unable to parse requirement: found '' expected: '('"],
    ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a in (b c)', "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ['a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['a foo b', "unable to parse requirement: found 'foo', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=(', "unable to parse requirement: found '(', expected: identifier"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['a=>b', "unable to parse requirement: found '>', expected: identifier"],
    ['a!!b', "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"],
    ['k>x', `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['a$=b', `unable to parse requirement: <nil>: Invalid value: "a$": ${KEY_REGEX_MSG}`],
    ['a=b$', `unable to parse requirement: values[0][a]: Invalid value: "b$": ${VALUE_REGEX_MSG}`],
    ['/a', `unable to parse requirement: <nil>: Invalid value: "/a": prefix part must be non-empty`],
    [
      'a=' + 'x'.repeat(64),
      `unable to parse requirement: values[0][a]: Invalid value: "${'x'.repeat(64)}": must be no more than 63 characters`,
    ],
  ];
  it.each(cases)('%j', (input, message) => {
    const err = errorOf(() => parseLabelSelector(input));
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toBe(message);
  });
});

describe('labelSelectorAsSelector', () => {
  it('undefined/null match nothing; {} matches everything', () => {
    expect(labelSelectorAsSelector(undefined).matches({ a: 'b' })).toBe(false);
    expect(labelSelectorAsSelector(null).matches({})).toBe(false);
    expect(labelSelectorAsSelector(null).isEmpty()).toBe(false);
    expect(labelSelectorAsSelector({}).matches({})).toBe(true);
    expect(labelSelectorAsSelector({}).isEmpty()).toBe(true);
    expect(labelSelectorAsSelector({ matchLabels: {}, matchExpressions: [] }).matches(undefined)).toBe(true);
  });

  const sel: LabelSelector = {
    matchLabels: { app: 'x' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['b', 'a'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'zone', operator: 'NotIn', values: ['z1'] },
      { key: 'env', operator: 'Exists' },
    ],
  };
  const cases: [Record<string, string>, boolean][] = [
    [{ app: 'x', tier: 'a', env: 'prod' }, true],
    [{ app: 'x', tier: 'b', env: 'prod', zone: 'z2' }, true],
    [{ app: 'x', tier: 'b', env: 'prod', zone: 'z1' }, false],
    [{ app: 'x', tier: 'c', env: 'prod' }, false],
    [{ app: 'y', tier: 'a', env: 'prod' }, false],
    [{ app: 'x', tier: 'a' }, false],
    [{ app: 'x', tier: 'a', env: '', canary: 'true' }, false],
  ];
  it.each(cases)('matches %j = %s', (labels, want) => {
    expect(labelSelectorAsSelector(sel).matches(labels)).toBe(want);
  });

  it('string form is sorted by key', () => {
    expect(labelSelectorToString(sel)).toBe('app=x,!canary,env,tier in (a,b),zone notin (z1)');
    expect(labelSelectorToString({ matchLabels: { b: '1', a: '2' } })).toBe('a=2,b=1');
    expect(labelSelectorToString({})).toBe('');
  });

  it('the string form parses back to an equivalent selector', () => {
    expect(parseLabelSelector(labelSelectorToString(sel)).toString()).toBe(labelSelectorToString(sel));
  });

  it('formatLabelSelector for display', () => {
    expect(formatLabelSelector({ matchLabels: { app: 'x' } })).toBe('app=x');
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bad' as 'In' }] })).toBe('<error>');
  });

  const errors: [LabelSelector, string][] = [
    [{ matchExpressions: [{ key: 'a', operator: 'Gt' as 'In', values: ['1'] }] }, '"Gt" is not a valid label selector operator'],
    [{ matchExpressions: [{ key: 'a', operator: 'In' }] }, "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] }, "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"],
    [
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      'values: Invalid value: ["x"]: values set must be empty for exists and does not exist',
    ],
    [{ matchLabels: { 'a$': 'b' } }, `key: Invalid value: "a$": ${KEY_REGEX_MSG}`],
    [{ matchLabels: { a: 'b c' } }, `values[0][a]: Invalid value: "b c": ${VALUE_REGEX_MSG}`],
    [
      { matchExpressions: [{ key: 'a$', operator: 'In', values: ['-'] }] },
      `[key: Invalid value: "a$": ${KEY_REGEX_MSG}, values[0][a$]: Invalid value: "-": ${VALUE_REGEX_MSG}]`,
    ],
  ];
  it.each(errors)('rejects %j', (s, message) => {
    const err = errorOf(() => labelSelectorAsSelector(s));
    expect(err.code).toBe(400);
    expect(err.message).toBe(message);
  });
});

describe('selectorFromSet', () => {
  it('matches exactly the set; empty set selects everything', () => {
    expect(selectorFromSet({ a: 'b' }).matches({ a: 'b', c: 'd' })).toBe(true);
    expect(selectorFromSet({ a: 'b' }).matches({ a: 'c' })).toBe(false);
    expect(selectorFromSet({}).matches(undefined)).toBe(true);
  });
});
