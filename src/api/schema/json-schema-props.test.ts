import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { decodeObject } from './index.js';
import { jsonSchemaPropsDecodeError } from './json-schema-props.js';

const CRD = { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' };
const AT = ['spec', 'versions', 'schema', 'openAPIV3Schema'];
const errorOf = (schema: unknown): string | undefined => jsonSchemaPropsDecodeError(schema, 'CustomResourceValidation', AT);
const go = (value: string, where: string, type: string) => `json: cannot unmarshal ${value} into Go struct field ${where} of type ${type}`;

describe('a CRD version\'s openAPIV3Schema decoded as upstream\'s v1.JSONSchemaProps', () => {
  it('takes every field of its type, null for any, unknown fields, and non-schema items (as upstream ignores them)', () => {
    expect(errorOf({
      type: 'object', description: 'd', required: ['a', null], maxLength: 3, minimum: 1.5, nullable: true, enum: [1, 'a', null, {}], default: { a: 1 },
      properties: { a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self != ""', optionalOldSelf: true }] } },
      additionalProperties: true, items: 5, externalDocs: { url: 'u' }, 'x-kubernetes-list-map-keys': ['a'], unknownField: 1, pattern: null,
    })).toBeUndefined();
  });

  it('reports a non-string `required` element as Go does, the innermost struct and the fields from the root', () => {
    expect(errorOf({ type: 'object', required: [1] })).toBe(go('number', 'JSONSchemaProps.spec.versions.schema.openAPIV3Schema.required', 'string'));
    expect(errorOf({ type: 'object', required: 'a' })).toBe(go('string', 'JSONSchemaProps.spec.versions.schema.openAPIV3Schema.required', '[]string'));
    // Map keys are not in Go's path: a property's fields follow `properties`.
    expect(errorOf({ type: 'object', properties: { spec: { type: 'object', properties: { a: { type: 'string' } }, required: [true] } } }))
      .toBe(go('bool', 'JSONSchemaProps.spec.versions.schema.openAPIV3Schema.properties.required', 'string'));
  });

  it('reports other fields\' types with their Go types', () => {
    expect(errorOf({ type: 5 })).toBe(go('number', 'JSONSchemaProps.spec.versions.schema.openAPIV3Schema.type', 'string'));
    expect(errorOf({ maxLength: 1.5 })).toBe(go('number 1.5', 'JSONSchemaProps.spec.versions.schema.openAPIV3Schema.maxLength', 'int64'));
    expect(errorOf({ minimum: '1' })).toBe(go('string', 'JSONSchemaProps.spec.versions.schema.openAPIV3Schema.minimum', 'float64'));
    expect(errorOf({ properties: [] })).toBe(go('array', 'JSONSchemaProps.spec.versions.schema.openAPIV3Schema.properties', 'map[string]v1.JSONSchemaProps'));
    expect(errorOf({ properties: { a: 'x' } })).toBe(go('string', 'JSONSchemaProps.spec.versions.schema.openAPIV3Schema.properties', 'v1.JSONSchemaProps'));
    expect(errorOf({ allOf: {} })).toBe(go('object', 'JSONSchemaProps.spec.versions.schema.openAPIV3Schema.allOf', '[]v1.JSONSchemaProps'));
    expect(errorOf({ $schema: 1 })).toBe(go('number', 'JSONSchemaProps.spec.versions.schema.openAPIV3Schema.$schema', 'v1.JSONSchemaURL'));
    expect(errorOf({ 'x-kubernetes-validations': [{ rule: 1 }] })).toBe(go('number', 'ValidationRule.spec.versions.schema.openAPIV3Schema.x-kubernetes-validations.rule', 'string'));
    expect(errorOf({ externalDocs: { url: false } })).toBe(go('bool', 'ExternalDocumentation.spec.versions.schema.openAPIV3Schema.externalDocs.url', 'string'));
    expect(errorOf(5)).toBe(go('number', 'CustomResourceValidation.spec.versions.schema.openAPIV3Schema', 'v1.JSONSchemaProps'));
  });

  it('reports an error below items or additionalProperties (decoded by their own UnmarshalJSON) at that field, first', () => {
    expect(errorOf({ type: 'array', items: { type: 'object', required: [1] } })).toBe(go('number', 'JSONSchemaProps.spec.versions.schema.openAPIV3Schema.items', 'string'));
    expect(errorOf({ properties: { m: { additionalProperties: { properties: { a: { type: 1 } } } } } }))
      .toBe(go('number', 'JSONSchemaProps.spec.versions.schema.openAPIV3Schema.properties.additionalProperties', 'string'));
    // Go's decoder keeps the first error it saves, but one an UnmarshalJSON returns ends it.
    expect(errorOf({ type: 1, items: { required: [1] } })).toBe(go('number', 'JSONSchemaProps.spec.versions.schema.openAPIV3Schema.items', 'string'));
    expect(errorOf({ type: 1, required: [1] })).toBe(go('number', 'JSONSchemaProps.spec.versions.schema.openAPIV3Schema.type', 'string'));
    expect(errorOf({ additionalProperties: 5 })).toBe('boolean or JSON schema expected');
  });

  it('is a 400 BadRequest when a CRD is decoded', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.ex.com' },
      spec: { group: 'ex.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', required: [1] } } }] },
    };
    let error: unknown;
    try {
      decodeObject(CRD, crd, 'Strict');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(400);
    expect((error as ApiError).message).toBe(
      'CustomResourceDefinition in version "v1" cannot be handled as a CustomResourceDefinition: json: cannot unmarshal number into Go struct field JSONSchemaProps.spec.versions.schema.openAPIV3Schema.required of type string',
    );
    crd.spec.versions[0]!.schema.openAPIV3Schema.required = ['a'] as never;
    expect(decodeObject(CRD, crd, 'Strict').object).toMatchObject({ spec: { versions: [{ schema: { openAPIV3Schema: { type: 'object', required: ['a'] } } }] } });
  });
});
