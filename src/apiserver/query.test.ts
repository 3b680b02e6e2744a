import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import { parseDeleteOptions, parseListQuery, parseWriteQuery } from './query.js';

const q = (s: string) => new URLSearchParams(s);

describe('parseListQuery', () => {
  it('decodes Go-style query strings (+ is a space)', () => {
    const l = parseListQuery(q('labelSelector=app+in+%28x%2Cy%29%2C%21foo&limit=500&resourceVersion=0&watch=true&allowWatchBookmarks=true&timeoutSeconds=301'));
    expect(l).toMatchObject({ labelSelector: 'app in (x,y),!foo', limit: 500, resourceVersion: '0', watch: true, allowWatchBookmarks: true, timeoutSeconds: 301 });
    expect(l.includeObject).toBe('Metadata');
  });

  it('defaults and validates', () => {
    const l = parseListQuery(q(''));
    expect(l).toMatchObject({ limit: 0, watch: false, resourceVersion: undefined, sendInitialEvents: undefined, continueToken: '' });
    expect(parseListQuery(q('watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=0')).sendInitialEvents).toBe(true);
    expect(parseListQuery(q('watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan')).resourceVersion).toBeUndefined();
    expect(() => parseListQuery(q('limit=abc'))).toThrow(ApiError);
    expect(() => parseListQuery(q('resourceVersion=abc'))).toThrow(ApiError);
    expect(() => parseListQuery(q('resourceVersionMatch=Exact'))).toThrow(ApiError);
    expect(() => parseListQuery(q('watch=maybe'))).toThrow(ApiError);
    expect(() => parseListQuery(q('includeObject=All'))).toThrow(ApiError);
  });
});

describe('parseWriteQuery', () => {
  it('defaults fieldValidation to Warn and parses dryRun', () => {
    expect(parseWriteQuery(q(''))).toEqual({ dryRun: false, fieldManager: '', fieldValidation: 'Warn', force: false });
    expect(parseWriteQuery(q('dryRun=All&fieldManager=kubectl&fieldValidation=Strict&force=true'))).toEqual({ dryRun: true, fieldManager: 'kubectl', fieldValidation: 'Strict', force: true });
    expect(() => parseWriteQuery(q('fieldValidation=Loose'))).toThrow(ApiError);
    expect(() => parseWriteQuery(q('dryRun=Some'))).toThrow(ApiError);
  });
});

describe('parseDeleteOptions', () => {
  it('reads the body (kubectl) and the query (client-node)', () => {
    expect(parseDeleteOptions(q(''), { propagationPolicy: 'Foreground', dryRun: ['All'] })).toEqual({ dryRun: true, propagationPolicy: 'Foreground' });
    expect(parseDeleteOptions(q('propagationPolicy=Orphan&gracePeriodSeconds=0'), undefined)).toEqual({ dryRun: false, propagationPolicy: 'Orphan', gracePeriodSeconds: 0 });
    expect(parseDeleteOptions(q(''), { orphanDependents: true })).toEqual({ dryRun: false, propagationPolicy: 'Orphan' });
    expect(parseDeleteOptions(q(''), { preconditions: { uid: 'u', resourceVersion: '3' } }).preconditions).toEqual({ uid: 'u', resourceVersion: '3' });
  });

  it('rejects bad values', () => {
    expect(() => parseDeleteOptions(q('propagationPolicy=Sideways'), undefined)).toThrow(ApiError);
    expect(() => parseDeleteOptions(q(''), [1, 2])).toThrow(ApiError);
    expect(() => parseDeleteOptions(q(''), { gracePeriodSeconds: 'soon' })).toThrow(ApiError);
    expect(() => parseDeleteOptions(q(''), { orphanDependents: true, propagationPolicy: 'Orphan' })).toThrow(ApiError);
  });
});
