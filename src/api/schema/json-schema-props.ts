// The decoding of a CRD version's openAPIV3Schema into upstream's Go type v1.JSONSchemaProps:
// the type errors the API server answers with 400 (`CustomResourceDefinition in version "v1"
// cannot be handled as a CustomResourceDefinition: json: cannot unmarshal number into Go struct
// field JSONSchemaProps.spec.versions.schema.openAPIV3Schema.required of type string`).
//
// Contract:
// - Only types are checked: the value is kept as given by the caller (the schema's rules are
//   validation/crd.ts's), unknown fields are neither reported nor dropped, null is Go's zero
//   value (no error).
// - Errors read as Go's encoding/json (sigs.k8s.io/json) words them: the innermost struct and
//   the JSON field names from the CRD's root, no indices and no map keys (`properties` leads to
//   the property's own fields), numbers that do not fit an int64 shown as `number 1.5`.
// - items, additionalProperties, additionalItems and dependencies decode through their own
//   UnmarshalJSON, which runs a decoder of its own on the raw value: an error below one of them
//   ends the whole decoding and is shown at that field (`...openAPIV3Schema.items of type
//   string`), winning over an earlier error; a non-schema `additionalProperties` is
//   `boolean or JSON schema expected`; a non-schema `items` is ignored, as upstream's are.
// - Within one decoder, the first error in document order wins.

/** The Go types of v1.JSONSchemaProps's fields, as far as decoding JSON into them goes. */
type GoType =
  | { k: 'string'; name: string }
  | { k: 'bool' }
  | { k: 'int64' }
  | { k: 'float64' }
  /** v1.JSON: any JSON value. */
  | { k: 'json' }
  | { k: 'slice'; name: string; elem: () => GoType }
  | { k: 'map'; name: string; elem: () => GoType }
  | { k: 'struct'; name: string; fields: () => Readonly<Record<string, GoType>> }
  /** The types with their own UnmarshalJSON (marshal.go of apiextensions v1). */
  | { k: 'propsOrArray' | 'propsOrBool' | 'propsOrStringArray' };

const string: GoType = { k: 'string', name: 'string' };
const bool: GoType = { k: 'bool' };
const int64: GoType = { k: 'int64' };
const float64: GoType = { k: 'float64' };
const json: GoType = { k: 'json' };
const strings: GoType = { k: 'slice', name: '[]string', elem: () => string };
const propsList: GoType = { k: 'slice', name: '[]v1.JSONSchemaProps', elem: () => jsonSchemaProps };
const propsMap = (name: string): GoType => ({ k: 'map', name, elem: () => jsonSchemaProps });

const validationRule: GoType = {
  k: 'struct',
  name: 'ValidationRule',
  fields: () => ({ rule: string, message: string, messageExpression: string, reason: { k: 'string', name: 'v1.FieldValueErrorReason' }, fieldPath: string, optionalOldSelf: bool }),
};

const jsonSchemaPropsFields: Readonly<Record<string, GoType>> = {
  id: string,
  $schema: { k: 'string', name: 'v1.JSONSchemaURL' },
  $ref: string,
  description: string,
  type: string,
  format: string,
  title: string,
  default: json,
  maximum: float64,
  exclusiveMaximum: bool,
  minimum: float64,
  exclusiveMinimum: bool,
  maxLength: int64,
  minLength: int64,
  pattern: string,
  maxItems: int64,
  minItems: int64,
  uniqueItems: bool,
  multipleOf: float64,
  enum: { k: 'slice', name: '[]v1.JSON', elem: () => json },
  maxProperties: int64,
  minProperties: int64,
  required: strings,
  items: { k: 'propsOrArray' },
  allOf: propsList,
  oneOf: propsList,
  anyOf: propsList,
  not: { k: 'struct', name: 'JSONSchemaProps', fields: () => jsonSchemaPropsFields },
  properties: propsMap('map[string]v1.JSONSchemaProps'),
  additionalProperties: { k: 'propsOrBool' },
  patternProperties: propsMap('map[string]v1.JSONSchemaProps'),
  dependencies: { k: 'map', name: 'v1.JSONSchemaDependencies', elem: () => ({ k: 'propsOrStringArray' }) },
  additionalItems: { k: 'propsOrBool' },
  definitions: propsMap('v1.JSONSchemaDefinitions'),
  externalDocs: { k: 'struct', name: 'ExternalDocumentation', fields: () => ({ description: string, url: string }) },
  example: json,
  nullable: bool,
  'x-kubernetes-preserve-unknown-fields': bool,
  'x-kubernetes-embedded-resource': bool,
  'x-kubernetes-int-or-string': bool,
  'x-kubernetes-list-map-keys': strings,
  'x-kubernetes-list-type': string,
  'x-kubernetes-map-type': string,
  'x-kubernetes-validations': { k: 'slice', name: 'v1.ValidationRules', elem: () => validationRule },
};

const jsonSchemaProps: GoType = { k: 'struct', name: 'JSONSchemaProps', fields: () => jsonSchemaPropsFields };

/** Go's UnmarshalTypeError, or the plain error of an UnmarshalJSON. */
type GoError = { value: string; type: string; struct: string; field: string } | string;

/** An error an UnmarshalJSON returned: it ends the decoding (not one saved to report at the end). */
class Returned {
  constructor(readonly error: GoError) {}
}

/** The name of a JSON value's kind in Go's UnmarshalTypeError. */
function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // 'string' | 'number'
}

const goName = (t: GoType): string => (t.k === 'struct' ? `v1.${t.name}` : 'name' in t ? t.name : t.k);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One run of Go's decoder (json.Unmarshal): its error context, and the first error it saved. */
class Decoder {
  private saved: GoError | undefined;
  private readonly stack: string[];

  constructor(
    private struct: string,
    stack: readonly string[],
  ) {
    this.stack = [...stack];
  }

  run(v: unknown, t: GoType): GoError | undefined {
    try {
      this.value(v, t);
    } catch (e) {
      if (e instanceof Returned) return this.inContext(e.error);
      throw e;
    }
    return this.saved;
  }

  /** addErrorContext: a type error is shown at this decoder's innermost struct and field. */
  private inContext(e: GoError): GoError {
    if (typeof e === 'string' || (this.struct === '' && this.stack.length === 0)) return e;
    return { ...e, struct: this.struct, field: this.stack.join('.') };
  }

  private save(value: string, t: GoType): void {
    this.saved ??= this.inContext({ value, type: goName(t), struct: '', field: '' });
  }

  private value(v: unknown, t: GoType): void {
    if (v === null || v === undefined) return;
    switch (t.k) {
      case 'string':
        if (typeof v !== 'string') this.save(kindOf(v), t);
        return;
      case 'bool':
        if (typeof v !== 'boolean') this.save(kindOf(v), t);
        return;
      case 'float64':
        if (typeof v !== 'number') this.save(kindOf(v), t);
        return;
      case 'int64':
        if (typeof v !== 'number') this.save(kindOf(v), t);
        else if (!Number.isInteger(v) || Math.abs(v) >= 2 ** 63) this.save(`number ${String(v)}`, t);
        return;
      case 'json':
        return;
      case 'slice':
        if (!Array.isArray(v)) return this.save(kindOf(v), t);
        for (const item of v) this.value(item, t.elem());
        return;
      case 'map':
        if (!isObject(v)) return this.save(kindOf(v), t);
        for (const k of Object.keys(v)) this.value(v[k], t.elem());
        return;
      case 'struct': {
        if (!isObject(v)) return this.save(kindOf(v), t);
        const fields = t.fields();
        const outer = this.struct;
        const depth = this.stack.length;
        for (const k of Object.keys(v)) {
          if (!Object.prototype.hasOwnProperty.call(fields, k)) continue; // unknown: not a type error
          this.struct = t.name;
          this.stack.push(k);
          this.value(v[k], fields[k]!);
          // Restored only after a field decodes without returning: a returned error keeps the
          // context where it happened, as Go's decoder does.
          this.struct = outer;
          this.stack.length = depth;
        }
        return;
      }
      case 'propsOrArray':
      case 'propsOrStringArray': {
        const inner = isObject(v) ? jsonSchemaProps : Array.isArray(v) ? (t.k === 'propsOrArray' ? propsList : strings) : undefined;
        const error = inner && new Decoder('', []).run(v, inner);
        if (error !== undefined) throw new Returned(error);
        return;
      }
      case 'propsOrBool': {
        if (typeof v === 'boolean') return;
        if (!isObject(v)) throw new Returned('boolean or JSON schema expected');
        const error = new Decoder('', []).run(v, jsonSchemaProps);
        if (error !== undefined) throw new Returned(error);
        return;
      }
    }
  }
}

/**
 * The error of decoding `v` into v1.JSONSchemaProps at the field `fields` (JSON field names from
 * the CRD's root, e.g. spec, versions, schema, openAPIV3Schema) of the struct `struct`
 * (CustomResourceValidation); undefined when it decodes.
 */
export function jsonSchemaPropsDecodeError(v: unknown, struct: string, fields: readonly string[]): string | undefined {
  const e = new Decoder(struct, fields).run(v, jsonSchemaProps);
  if (e === undefined || typeof e === 'string') return e;
  if (e.struct === '' && e.field === '') return `json: cannot unmarshal ${e.value} into Go value of type ${e.type}`;
  return `json: cannot unmarshal ${e.value} into Go struct field ${e.struct}.${e.field} of type ${e.type}`;
}
