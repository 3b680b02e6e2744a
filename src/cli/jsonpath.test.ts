import { describe, expect, it } from 'vitest';
import { executeTemplate } from './jsonpath.js';

const list = {
  kind: 'List',
  items: [
    { metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'x' } }, status: { conditions: [{ type: 'Ready', status: 'True' }], n: 3 } },
    { metadata: { name: 'b' }, status: { conditions: [{ type: 'Ready', status: 'False' }], n: 1 } },
  ],
};

describe('kubectl jsonpath templates', () => {
  it('prints fields, wildcards (space-separated) and literals', () => {
    expect(executeTemplate('{.items[0].metadata.name}', list)).toBe('a');
    expect(executeTemplate('{.items[*].metadata.name}', list)).toBe('a b');
    expect(executeTemplate('{.items[-1].metadata.name}{"\\n"}', list)).toBe('b\n');
    expect(executeTemplate('names: {.items[0:2].metadata.name}!', list)).toBe('names: a b!');
    expect(executeTemplate('{.items[0].status}', list)).toBe('{"conditions":[{"type":"Ready","status":"True"}],"n":3}');
  });

  it('ranges, filters, escaped dots, recursive descent and missing keys', () => {
    expect(executeTemplate('{range .items[*]}{.metadata.name}={.status.n}{"\\n"}{end}', list)).toBe('a=3\nb=1\n');
    expect(executeTemplate('{.items[?(@.status.n>2)].metadata.name}', list)).toBe('a');
    expect(executeTemplate('{.items[*].status.conditions[?(@.type=="Ready")].status}', list)).toBe('True False');
    expect(executeTemplate("{.items[0].metadata.labels['app.kubernetes.io/name']}", list)).toBe('x');
    expect(executeTemplate('{.items[0].metadata.labels.app\\.kubernetes\\.io/name}', list)).toBe('x');
    expect(executeTemplate('{..name}', list)).toBe('a b');
    expect(executeTemplate('{.nope.deeper}', list)).toBe('');
    expect(executeTemplate('.items[1].metadata.name', list)).toBe('b');
  });

  it('rejects broken templates', () => {
    expect(() => executeTemplate('{range .items[*]}{.x}', list)).toThrow(/without \{end\}/);
    expect(() => executeTemplate('{.items[0}', list)).toThrow();
  });
});
