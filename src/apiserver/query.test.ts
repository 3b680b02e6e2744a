import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import { errorOf } from '../api/testing/index.js';
import { isWatchRequest, parseDeleteOptions, parseListQuery, parseWriteQuery, watchTimeoutSeconds } from './query.js';

const q = (s: string) => new URLSearchParams(s);

describe('parseListQuery', () => {
  it('decodes Go-style query strings (+ is a space)', () => {
    const l = parseListQuery(q('labelSelector=app+in+%28x%2Cy%29%2C%21foo&limit=500&resourceVersion=0&watch=true&allowWatchBookmarks=true&timeoutSeconds=301'));
    expect(l).toMatchObject({ labelSelector: 'app in (x,y),!foo', limit: 500, resourceVersion: '0', watch: true, allowWatchBookmarks: true, timeoutSeconds: 301 });
    expect(l.includeObject).toBe('');
  });

  it('defaults and validates', () => {
    const l = parseListQuery(q(''));
    expect(l).toMatchObject({ limit: 0, watch: false, resourceVersion: undefined, sendInitialEvents: undefined, continueToken: '' });
    expect(parseListQuery(q('watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=0')).sendInitialEvents).toBe(true);
    expect(parseListQuery(q('watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan')).resourceVersion).toBeUndefined();
    expect(() => parseListQuery(q('limit=abc'))).toThrow(ApiError);
    expect(() => parseListQuery(q('resourceVersion=abc'))).toThrow(ApiError);
    // A uint64 at most, as upstream's ParseUint: beyond it the number is not a resourceVersion (it printed as 1e+23).
    expect(parseListQuery(q('resourceVersion=18446744073709551615')).resourceVersion).toBe('18446744073709551615');
    expect(() => parseListQuery(q('resourceVersion=18446744073709551616'))).toThrow('invalid resource version "18446744073709551616"');
    expect(() => parseListQuery(q('resourceVersionMatch=Exact'))).toThrow(ApiError);
    // Booleans read as upstream's query conversion: only "0" and "false" (any case) are false.
    for (const v of ['true', '1', '', 'maybe', 'yes', 'TRUE']) expect(parseListQuery(q(`watch=${v}`)).watch).toBe(true);
    for (const v of ['false', 'FALSE', 'False', '0']) expect(parseListQuery(q(`watch=${v}`)).watch).toBe(false);
    // includeObject is read only for a Table answer (parseIncludeObject).
    expect(parseListQuery(q('includeObject=All')).includeObject).toBe('All');
  });
});

describe('parseWriteQuery', () => {
  it('defaults fieldValidation to Warn and parses dryRun', () => {
    expect(parseWriteQuery(q(''), 'CreateOptions')).toEqual({ dryRun: false, fieldManager: '', fieldValidation: 'Warn', force: false });
    expect(parseWriteQuery(q('fieldValidation='), 'UpdateOptions').fieldValidation).toBe('Warn');
    expect(parseWriteQuery(q('dryRun=All&fieldManager=kubectl&fieldValidation=Strict&force=true'), 'PatchOptions', true)).toEqual({ dryRun: true, fieldManager: 'kubectl', fieldValidation: 'Strict', force: true });
    expect(() => parseWriteQuery(q('dryRun=Some'), 'CreateOptions')).toThrow(ApiError);
  });

  it('refuses an unknown fieldValidation with 422 on the options kind (upstream ValidateCreateOptions and co.)', () => {
    for (const kind of ['CreateOptions', 'UpdateOptions', 'PatchOptions'] as const) {
      const err = errorOf(() => parseWriteQuery(q('fieldValidation=Loose'), kind));
      expect(err.code).toBe(422);
      expect(err.reason).toBe('Invalid');
      expect(err.message).toBe(`${kind}.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"`);
      expect(err.details).toMatchObject({ kind, group: 'meta.k8s.io', causes: [{ reason: 'FieldValueNotSupported', field: 'fieldValidation' }] });
      expect(err.details?.name).toBeUndefined(); // upstream's omitempty
    }
  });

  it('refuses a dryRun other than All with 422 on the options kind, with details like fieldValidation\'s', () => {
    for (const kind of ['CreateOptions', 'UpdateOptions', 'PatchOptions'] as const) {
      const err = errorOf(() => parseWriteQuery(q('dryRun=Foo'), kind));
      expect(err.code).toBe(422);
      expect(err.reason).toBe('Invalid');
      // Upstream's bad value is the whole list (field.NotSupported(dryRun, options.DryRun, ...)).
      expect(err.message).toBe(`${kind}.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Foo"]: supported values: "All"`);
      expect(err.details).toEqual({ group: 'meta.k8s.io', kind, causes: [{ reason: 'FieldValueNotSupported', message: 'Unsupported value: ["Foo"]: supported values: "All"', field: 'dryRun' }] });
    }
    expect(errorOf(() => parseWriteQuery(q('dryRun=All&dryRun=x'), 'CreateOptions')).message).toBe('CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["All","x"]: supported values: "All"');
    // Every violation in one answer, in upstream's order.
    expect(errorOf(() => parseWriteQuery(q('force=1&dryRun=Foo&fieldValidation=X'), 'PatchOptions')).details?.causes?.map((c) => c.field)).toEqual(['force', 'dryRun', 'fieldValidation']);
  });

  it('forbids force on patches other than apply, even force=false (upstream ValidatePatchOptions)', () => {
    for (const force of ['true', 'false', '']) {
      const err = errorOf(() => parseWriteQuery(q(`force=${force}`), 'PatchOptions'));
      expect(err.code).toBe(422);
      expect(err.message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    }
    expect(errorOf(() => parseWriteQuery(q('force=true&fieldValidation=X'), 'PatchOptions')).message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: [force: Forbidden: may not be specified for non-apply patch, fieldValidation: Unsupported value: "X": supported values: "", "Ignore", "Strict", "Warn"]',
    );
    expect(parseWriteQuery(q('force=true'), 'PatchOptions', true).force).toBe(true);
    // Not an option of creates and updates: ignored there, as any unknown parameter.
    expect(parseWriteQuery(q('force=true'), 'UpdateOptions').force).toBe(true);
  });
});

describe('int64 query parameters', () => {
  it('refuses limits and timeouts that are not int64 with 400 and clamps the rest', () => {
    expect(parseListQuery(q('limit=9223372036854775807')).limit).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseListQuery(q('limit=-9223372036854775808')).limit).toBe(0);
    for (const v of ['9223372036854775808', '-9223372036854775809', '99999999999999999999999']) {
      const err = errorOf(() => parseListQuery(q(`limit=${v}`)));
      expect(err.code).toBe(400);
      expect(err.message).toBe(`invalid value for limit: "${v}": strconv.ParseInt: parsing "${v}": value out of range`);
    }
    expect(errorOf(() => parseListQuery(q('timeoutSeconds=9223372036854775808'))).code).toBe(400);
    // Timers take at most 2^31-1 ms: longer timeouts are that (a longer timer fires at once).
    expect(parseListQuery(q('timeoutSeconds=9223372036854775807')).timeoutSeconds).toBe(2147483);
    expect(parseListQuery(q('timeoutSeconds=300')).timeoutSeconds).toBe(300);
  });
});

describe('parseDeleteOptions', () => {
  it('reads the body (kubectl) and the query (client-node)', () => {
    expect(parseDeleteOptions(q(''), { propagationPolicy: 'Foreground', dryRun: ['All'] })).toEqual({ dryRun: true, propagationPolicy: 'Foreground' });
    expect(parseDeleteOptions(q('propagationPolicy=Orphan&gracePeriodSeconds=0'), undefined)).toEqual({ dryRun: false, propagationPolicy: 'Orphan', gracePeriodSeconds: 0 });
    expect(parseDeleteOptions(q(''), { orphanDependents: true })).toEqual({ dryRun: false, propagationPolicy: 'Orphan' });
    expect(parseDeleteOptions(q(''), { preconditions: { uid: 'u', resourceVersion: '3' } }).preconditions).toEqual({ uid: 'u', resourceVersion: '3' });
  });

  it('refuses preconditions of another JSON type with 400 rather than dropping them', () => {
    const cases: [unknown, string][] = [
      [{ resourceVersion: 1 }, 'json: cannot unmarshal number into Go struct field Preconditions.preconditions.resourceVersion of type string'],
      [{ resourceVersion: {} }, 'json: cannot unmarshal object into Go struct field Preconditions.preconditions.resourceVersion of type string'],
      [{ uid: true }, 'json: cannot unmarshal bool into Go struct field Preconditions.preconditions.uid of type types.UID'],
      [{ uid: ['u'] }, 'json: cannot unmarshal array into Go struct field Preconditions.preconditions.uid of type types.UID'],
    ];
    for (const [preconditions, message] of cases) {
      const err = errorOf(() => parseDeleteOptions(q(''), { preconditions }));
      expect(err.code).toBe(400);
      expect(err.message).toBe(message);
    }
    expect(parseDeleteOptions(q(''), { preconditions: { uid: null, resourceVersion: '5' } }).preconditions).toEqual({ resourceVersion: '5' });
  });

  it('refuses grace periods beyond int64 with 400', () => {
    expect(errorOf(() => parseDeleteOptions(q('gracePeriodSeconds=9223372036854775808'), undefined)).message).toBe('strconv.ParseInt: parsing "9223372036854775808": value out of range');
    expect(parseDeleteOptions(q('gracePeriodSeconds=9223372036854775807'), undefined).gracePeriodSeconds).toBe(2 ** 63);
    expect(errorOf(() => parseDeleteOptions(q(''), { gracePeriodSeconds: 2 ** 63 })).message).toBe('json: cannot unmarshal number 9223372036854775808 into Go struct field DeleteOptions.gracePeriodSeconds of type int64');
    expect(parseDeleteOptions(q(''), { gracePeriodSeconds: -(2 ** 63) }).gracePeriodSeconds).toBe(-(2 ** 63));
  });

  it('refuses a bad propagationPolicy or dryRun with 422 on DeleteOptions, with details (upstream ValidateDeleteOptions)', () => {
    const bad = errorOf(() => parseDeleteOptions(q('propagationPolicy=Sideways'), undefined));
    expect(bad.code).toBe(422);
    expect(bad.reason).toBe('Invalid');
    expect(bad.message).toBe('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"');
    expect(bad.details).toEqual({
      group: 'meta.k8s.io',
      kind: 'DeleteOptions',
      causes: [{ reason: 'FieldValueNotSupported', message: 'Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"', field: 'propagationPolicy' }],
    });
    const dry = errorOf(() => parseDeleteOptions(q('dryRun=Foo'), undefined));
    expect(dry.message).toBe('DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Foo"]: supported values: "All"');
    expect(dry.details).toMatchObject({ group: 'meta.k8s.io', kind: 'DeleteOptions', causes: [{ reason: 'FieldValueNotSupported', field: 'dryRun' }] });
    expect(errorOf(() => parseDeleteOptions(q(''), { dryRun: ['Foo'] })).details?.kind).toBe('DeleteOptions');
    const both = errorOf(() => parseDeleteOptions(q(''), { orphanDependents: true, propagationPolicy: 'Orphan' }));
    expect(both.message).toBe('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set');
    expect(both.details?.causes).toEqual([{ reason: 'FieldValueInvalid', message: 'Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set', field: 'propagationPolicy' }]);
    // All violations together, in upstream's order.
    expect(errorOf(() => parseDeleteOptions(q('dryRun=x'), { orphanDependents: false, propagationPolicy: 'Up' })).details?.causes?.map((c) => `${c.field}/${c.reason}`)).toEqual([
      'propagationPolicy/FieldValueInvalid',
      'propagationPolicy/FieldValueNotSupported',
      'dryRun/FieldValueNotSupported',
    ]);
  });

  it('rejects bad values', () => {
    expect(() => parseDeleteOptions(q('propagationPolicy=Sideways'), undefined)).toThrow(ApiError);
    expect(() => parseDeleteOptions(q(''), [1, 2])).toThrow(ApiError);
    expect(() => parseDeleteOptions(q(''), { gracePeriodSeconds: 'soon' })).toThrow(ApiError);
    expect(() => parseDeleteOptions(q(''), { orphanDependents: true, propagationPolicy: 'Orphan' })).toThrow(ApiError);
  });
});

describe('watchTimeoutSeconds', () => {
  it('keeps a requested timeout, and gives a watch that names none 30-60 min, as upstream', () => {
    expect(watchTimeoutSeconds(42, undefined, 0, 0.5)).toBe(42);
    expect(watchTimeoutSeconds(0, undefined, 0, 0)).toBe(1800);
    expect(watchTimeoutSeconds(0, undefined, 0, 0.999)).toBe(3598);
  });
  it('a negative timeoutSeconds ends the watch at once (upstream: its timer has already fired)', () => {
    expect(parseListQuery(q('watch=true&timeoutSeconds=-5')).timeoutSeconds).toBe(-1);
    expect(parseListQuery(q('watch=true&timeoutSeconds=-0')).timeoutSeconds).toBe(0);
    expect(parseListQuery(q('watch=true')).timeoutSeconds).toBe(0);
    expect(watchTimeoutSeconds(-1, undefined, 0, 0.5)).toBe(-1);
    expect(watchTimeoutSeconds(-1, 10_500, 0, 0.5)).toBe(-1);
  });
  it('never runs past the credential (at least 1 s)', () => {
    expect(watchTimeoutSeconds(0, 10_500, 0, 0.5)).toBe(11);
    expect(watchTimeoutSeconds(5, 10_500, 0, 0.5)).toBe(5);
    expect(watchTimeoutSeconds(0, 0, 5_000, 0.5)).toBe(1);
  });
});

describe('isWatchRequest', () => {
  const q = new URLSearchParams('watch=true');
  it('is a GET or HEAD of a collection with ?watch, or the /watch/ path form; never a write or a named GET', () => {
    expect(isWatchRequest({}, q)).toBe(true);
    expect(isWatchRequest({}, q, 'HEAD')).toBe(true);
    expect(isWatchRequest({ watchPath: true, name: 'x' }, new URLSearchParams())).toBe(true);
    expect(isWatchRequest({ name: 'x' }, q)).toBe(false);
    expect(isWatchRequest({ subresource: 'proxy' }, q)).toBe(false);
    // A write with ?watch is a write (counted by the mutating in-flight limit).
    expect(isWatchRequest({}, q, 'POST')).toBe(false);
    expect(isWatchRequest({}, q, 'DELETE')).toBe(false);
  });
});
