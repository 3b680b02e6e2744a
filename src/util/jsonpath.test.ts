import { describe, expect, it } from 'vitest';
import { jsonPathValues } from './jsonpath.js';

const cert = {
  metadata: { name: 'c', labels: { 'app.kubernetes.io/name': 'web' } },
  spec: { dnsNames: ['a.example.com', 'b.example.com'], replicas: 3 },
  status: {
    conditions: [
      { type: 'Issuing', status: 'False', reason: 'Done', observed: 1 },
      { type: 'Ready', status: 'True', reason: 'Ready', observed: 2 },
    ],
  },
};

describe('JSONPath (printer columns, kubectl)', () => {
  it('reaches fields, quoted keys, indexes, slices and wildcards', () => {
    expect(jsonPathValues(cert, '.spec.replicas')).toEqual([3]);
    expect(jsonPathValues(cert, '{$.spec.replicas}')).toEqual([3]);
    expect(jsonPathValues(cert, ".metadata.labels['app.kubernetes.io/name']")).toEqual(['web']);
    expect(jsonPathValues(cert, '.spec.dnsNames[1]')).toEqual(['b.example.com']);
    expect(jsonPathValues(cert, '.spec.dnsNames[-1]')).toEqual(['b.example.com']);
    expect(jsonPathValues(cert, '.spec.dnsNames[0:1]')).toEqual(['a.example.com']);
    expect(jsonPathValues(cert, '.spec.dnsNames[*]')).toEqual(['a.example.com', 'b.example.com']);
    expect(jsonPathValues(cert, '.status.conditions[*].type')).toEqual(['Issuing', 'Ready']);
    expect(jsonPathValues(cert, '..reason')).toEqual(['Done', 'Ready']);
  });

  it('filters as CRDs use them (cert-manager READY, and comparisons)', () => {
    expect(jsonPathValues(cert, '.status.conditions[?(@.type=="Ready")].status')).toEqual(['True']);
    expect(jsonPathValues(cert, ".status.conditions[?(@.type == 'Issuing')].reason")).toEqual(['Done']);
    expect(jsonPathValues(cert, '.status.conditions[?(@.type!="Ready")].type')).toEqual(['Issuing']);
    expect(jsonPathValues(cert, '.status.conditions[?(@.observed>1)].type')).toEqual(['Ready']);
    expect(jsonPathValues(cert, '.status.conditions[?(@.reason)].type')).toEqual(['Issuing', 'Ready']);
    expect(jsonPathValues(cert, '.status.conditions[?(@.type=="Gone")].status')).toEqual([]);
  });

  it('reaches nothing where there is nothing, or the path is not of the supported form', () => {
    expect(jsonPathValues(cert, '.spec.missing')).toEqual([]);
    expect(jsonPathValues(cert, '.spec.replicas.deeper')).toEqual([]);
    expect(jsonPathValues(cert, '.spec.dnsNames[9]')).toEqual([]);
    // A bare first name reads as a field, as kubectl reads it.
    expect(jsonPathValues(cert, 'spec.replicas')).toEqual([3]);
    // Not readable: an unterminated subscript, an unknown subscript form.
    expect(jsonPathValues(cert, '.status.conditions[?(@.type=="Ready")')).toEqual([]);
    expect(jsonPathValues(cert, '.status.conditions[a b]')).toEqual([]);
    expect(jsonPathValues(null, '.a')).toEqual([]);
  });
});
