// What JSON.parse does not tell the decoder (duplicate fields, number literals as written) and
// the integer range checks of the decoder itself.
import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/index.js';
import { checkNumberLiterals, countMembers, jsonTextDetails, scanJsonText } from './decode.js';
import { decodeObject, type GroupVersionKind } from './index.js';

const CR: GroupVersionKind = { group: 'apps', version: 'v1', kind: 'ControllerRevision' };
const DS: GroupVersionKind = { group: 'apps', version: 'v1', kind: 'DaemonSet' };

describe('scanJsonText', () => {
  it('measures depth and members, skipping strings with brackets, colons and escaped quotes', () => {
    expect(scanJsonText('{"a":{"b":[1,{"c":2}]}}')).toEqual({ depth: 4, members: 3, inexactNumbers: false });
    expect(scanJsonText('{"a\\":{[":"x:{[\\\\","b":"\\\\"}')).toEqual({ depth: 1, members: 2, inexactNumbers: false });
    expect(scanJsonText('[]')).toEqual({ depth: 1, members: 0, inexactNumbers: false });
    expect(scanJsonText('"x"')).toEqual({ depth: 0, members: 0, inexactNumbers: false });
  });

  it('flags number literals with a fraction, an exponent or 16+ digits, not true/false/null', () => {
    expect(scanJsonText('{"a":true,"b":false,"c":null,"d":-12,"e":"1.5"}').inexactNumbers).toBe(false);
    for (const n of ['1.0', '1e-400', '-2E5', '9007199254740993', '1234567890123456']) {
      expect(scanJsonText(`{"a":${n}}`).inexactNumbers, n).toBe(true);
    }
    expect(scanJsonText('[123456789012345]').inexactNumbers).toBe(false);
  });

  it('counts the members of a parsed value as the text does when no name repeats', () => {
    const text = '{"a":{"b":[1,{"c":2,"d":{}}]},"__proto__":1}';
    expect(countMembers(JSON.parse(text))).toBe(scanJsonText(text).members);
    const dup = '{"a":1,"a":2}';
    expect(countMembers(JSON.parse(dup))).toBe(1);
    expect(scanJsonText(dup).members).toBe(2);
  });
});

describe('jsonTextDetails', () => {
  it('reports duplicate fields with upstream strict-decoding paths, once each, in document order', () => {
    const text = '{"metadata":{"name":"a","name":"b","name":"c"},"spec":{"containers":[{"name":"x"},{"name":"y","image":"i","image":"j"}]},"kind":"k","kind":"l"}';
    expect(jsonTextDetails(text).duplicates).toEqual(['metadata.name', 'spec.containers[1].image', 'kind']);
    expect(jsonTextDetails('[{"op":"add","path":"/a","path":"/b"}]').duplicates).toEqual(['[0].path']);
    // Escapes name the same member.
    expect(jsonTextDetails('{"ab":1,"a\\u0062":2}').duplicates).toEqual(['ab']);
    // The same name in different objects is no duplicate.
    expect(jsonTextDetails('{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":1}]}').duplicates).toEqual([]);
  });

  it('reports number literals JSON.parse may have changed, with their paths', () => {
    const text = '{"a":[1,2.0,{"b":1e-400}],"c":9007199254740993,"d":9007199254740991,"e":0.5}';
    expect(jsonTextDetails(text).literals).toEqual([
      { path: ['a', 1], text: '2.0' },
      { path: ['a', 2, 'b'], text: '1e-400' },
      { path: ['c'], text: '9007199254740993' },
      { path: ['e'], text: '0.5' },
    ]);
  });
});

describe('checkNumberLiterals', () => {
  const int64 = (n: string) => `ControllerRevision in version "v1" cannot be handled as a ControllerRevision: json: cannot unmarshal number ${n} into Go struct field ControllerRevision.revision of type int64`;

  it('refuses literals an integer field does not take, in the decoder wording with the literal as written', () => {
    for (const n of ['1.0', '1e-400', '18446744073709551616', '-1e300']) {
      const err = errorOf(() => checkNumberLiterals(CR, [{ path: ['revision'], text: n }]));
      expect(err.code).toBe(400);
      expect(err.message).toBe(int64(n));
    }
    const nested = errorOf(() => checkNumberLiterals(DS, [{ path: ['spec', 'template', 'spec', 'containers', 0, 'ports', '3', 'containerPort'], text: '80.0' }]));
    expect(nested.message).toBe('DaemonSet in version "v1" cannot be handled as a DaemonSet: json: cannot unmarshal number 80.0 into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32');
    const intOrString = errorOf(() => checkNumberLiterals(DS, [{ path: ['spec', 'updateStrategy', 'rollingUpdate', 'maxUnavailable'], text: '1.0' }]));
    expect(intOrString.message).toBe('DaemonSet in version "v1" cannot be handled as a DaemonSet: json: cannot unmarshal number 1.0 into Go value of type int32');
  });

  it('refuses an integer within int64 that a JavaScript number does not hold exactly, where an integer or anything is kept', () => {
    const lost = (text: string, at: string) => `ControllerRevision in version "v1" cannot be handled as a ControllerRevision: the integer ${text} at ${at} cannot be stored exactly: everynode holds JSON numbers as 64-bit floats (integers up to 2^53 exactly)`;
    for (const [path, at] of [[['revision'], 'revision'], [['data', 'items', 2, 'id'], 'data.items[2].id']] as const) {
      for (const text of ['9007199254740993', '-9223372036854775807', '9223372036854775807']) {
        const err = errorOf(() => checkNumberLiterals(CR, [{ path: [...path], text }]));
        expect(err.code).toBe(400);
        expect(err.message).toBe(lost(text, at));
      }
    }
    // In an int32 field, upstream's error, as for any number beyond int32.
    const int32 = errorOf(() => checkNumberLiterals(DS, [{ path: ['spec', 'template', 'spec', 'containers', 0, 'ports', 0, 'containerPort'], text: '9007199254740993' }]));
    expect(int32.message).toBe('DaemonSet in version "v1" cannot be handled as a DaemonSet: json: cannot unmarshal number 9007199254740993 into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32');
    expect(errorOf(() => checkNumberLiterals(CR, [{ path: ['data', 'x'], text: '1152921504606846976' }])).message).toBe(lost('1152921504606846976', 'data.x'));
    // Written back as itself, or beyond int64 where anything is kept (upstream reads that as a float too): kept.
    expect(() => checkNumberLiterals(CR, [{ path: ['data', 'x'], text: '9007199254740992' }, { path: ['data', 'y'], text: '123456789012345678901234' }])).not.toThrow();
  });

  it('leaves literals where anything, a float, a quantity or nothing is expected', () => {
    expect(() =>
      checkNumberLiterals(CR, [
        { path: ['data', 'x'], text: '1.0' },
        { path: ['unknown'], text: '1.0' },
        { path: ['metadata', 'labels', 'a'], text: '1.0' }, // a type error the decoder reports
      ]),
    ).not.toThrow();
    expect(() => checkNumberLiterals(DS, [{ path: ['spec', 'template', 'spec', 'containers', 0, 'resources', 'limits', 'cpu'], text: '0.5' }])).not.toThrow();
  });
});

describe('integer fields', () => {
  it('take integers within int32 for int32 fields, and within int64 written back as themselves for others', () => {
    const body = (revision: number) => ({ metadata: { name: 'x' }, data: {}, revision });
    for (const n of [2 ** 53 - 1, 2 ** 53, -(2 ** 53) - 2]) expect(decodeObject(CR, body(n), 'Strict').object, String(n)).toMatchObject({ revision: n });
    // 2^60 is a float exactly, but JSON.stringify writes it 1152921504606847000: refused, not changed.
    const err60 = errorOf(() => decodeObject(CR, body(2 ** 60), 'Strict'));
    expect(err60.message).toBe('ControllerRevision in version "v1" cannot be handled as a ControllerRevision: the integer 1152921504606846976 at revision cannot be stored exactly: everynode holds JSON numbers as 64-bit floats (integers up to 2^53 exactly)');
    for (const n of [2 ** 63, 2 ** 64, -(2 ** 63) - 4096, 1.5]) {
      const err = errorOf(() => decodeObject(CR, body(n), 'Strict'));
      expect(err.code).toBe(400);
      expect(err.message).toBe(`ControllerRevision in version "v1" cannot be handled as a ControllerRevision: json: cannot unmarshal number ${String(n)} into Go struct field ControllerRevision.revision of type int64`);
    }
  });
});

describe('metav1.Time and MicroTime', () => {
  const LEASE: GroupVersionKind = { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' };
  const EVENT: GroupVersionKind = { group: '', version: 'v1', kind: 'Event' };

  it('are stored as Go writes them: UTC, whole seconds or exactly six fractional digits (a JavaScript Date has three)', () => {
    const lease = decodeObject(LEASE, { metadata: { name: 'l' }, spec: { renewTime: '2026-11-30T23:57:38.151Z', acquireTime: '2026-11-30T23:57:38+01:00' } }, 'Strict').object as unknown as { spec: Record<string, string> };
    expect(lease.spec).toEqual({ renewTime: '2026-11-30T23:57:38.151000Z', acquireTime: '2026-11-30T22:57:38.000000Z' });
    const ev = decodeObject(EVENT, { metadata: { name: 'e' }, involvedObject: {}, firstTimestamp: '2026-11-30T23:57:56.957Z', lastTimestamp: '2026-11-30T23:57:56.9999999-00:30', eventTime: '2026-11-30T23:57:56.1234567Z' }, 'Strict').object as unknown as Record<string, string>;
    expect([ev['firstTimestamp'], ev['lastTimestamp'], ev['eventTime']]).toEqual(['2026-11-30T23:57:56Z', '2026-12-01T00:27:56Z', '2026-11-30T23:57:56.123456Z']);
  });

  it('refuse what is no RFC 3339 time, in the decoder wording', () => {
    const err = errorOf(() => decodeObject(LEASE, { metadata: { name: 'l' }, spec: { renewTime: 'yesterday' } }, 'Strict'));
    expect(err.code).toBe(400);
    expect(err.message).toBe('Lease in version "v1" cannot be handled as a Lease: parsing time "yesterday" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "yesterday" as "2006"');
  });
});
