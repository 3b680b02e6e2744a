import { describe, expect, it } from 'vitest';
import { nodeSelectorTermMatches } from './node-affinity.js';
import type { Node, NodeSelectorRequirement } from './types.js';

function node(labels: Record<string, string>): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels } };
}

const req = (operator: 'Gt' | 'Lt', value: string): NodeSelectorRequirement => ({ key: 'cores', operator, values: [value] });
const matches = (r: NodeSelectorRequirement, label: string | undefined): boolean => nodeSelectorTermMatches({ matchExpressions: [r] }, node(label === undefined ? {} : { cores: label }));

describe('Gt / Lt node selector requirements (both sides read as strconv.ParseInt(s, 10, 64))', () => {
  it.each([
    // [operator, requirement value, node label, matches]
    ['Gt', '4', '8', true],
    ['Gt', '8', '8', false],
    ['Lt', '8', '4', true],
    ['Gt', '+4', '8', true], // Go accepts a leading plus sign, on either side
    ['Gt', '4', '+8', true],
    ['Lt', '-1', '-2', true],
    ['Gt', '007', '8', true], // leading zeros are decimal
    // Beyond 2^53 the values are compared exactly, not as doubles.
    ['Gt', '9007199254740992', '9007199254740993', true],
    ['Lt', '9223372036854775807', '9223372036854775806', true],
    // Outside int64, or no integer: the requirement does not match (ParseInt fails).
    ['Gt', '1', '9223372036854775808', false],
    ['Lt', '9223372036854775808', '1', false],
    ['Gt', '1', '2.5', false],
    ['Gt', '1', '0x10', false],
    ['Gt', '1', ' 2', false],
    ['Gt', '1', '', false],
    ['Gt', '+', '2', false],
  ] as const)('%s %s against label %s: %s', (op, value, label, want) => {
    expect(matches(req(op, value), label)).toBe(want);
  });

  it('a node without the label never matches Gt or Lt', () => {
    expect(matches(req('Gt', '-100'), undefined)).toBe(false);
    expect(matches(req('Lt', '100'), undefined)).toBe(false);
  });
});
