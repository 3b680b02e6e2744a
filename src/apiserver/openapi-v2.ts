// OpenAPI v2 (`GET /openapi/v2`), derived from the OpenAPI v3 documents, for kubectl 1.27 and
// 1.28: they fetch it before apply, create, replace, diff and explain, fail on a 404, and read
// its definitions for explain and for the patch metadata of client-side apply (kube-api §3.3).
//
// Contract:
// - One Swagger 2.0 document for every served group/version: `definitions` are the v3
//   components with `$ref`s rewritten to `#/definitions/...` (an `allOf` of one `$ref` becomes
//   that `$ref`), and each definition keeps its `x-kubernetes-*` extensions (group-version-kind,
//   patch merge key and strategy, list type); `paths` carry each operation's id, its query
//   parameters (so `fieldValidation` is found) and its group-version-kind.
// - Served as the gnostic `openapi.v2.Document` protobuf (what kubectl decodes, whatever the
//   Content-Type; sent as `application/octet-stream`, since Go's MIME parser refuses the
//   upstream type's `@`), or as JSON when the client asks for JSON only.
// - Only the fields below are written; Go's protobuf decoder skips what it does not know, and
//   kubectl reads no other field. Field numbers are those of gnostic's OpenAPIv2.proto.

import { stringify as toYaml } from 'yaml';

type Json = Record<string, unknown>;

const V3_REF = '#/components/schemas/';
const V2_REF = '#/definitions/';

/** A v3 schema as a v2 schema (see the contract); extensions are kept as they are. */
function schemaV2(s: Json): Json {
  const allOf = s.allOf as Json[] | undefined;
  if (Array.isArray(allOf) && allOf.length === 1 && typeof allOf[0]!.$ref === 'string') {
    const out: Json = { $ref: refV2(allOf[0]!.$ref as string) };
    if (typeof s.description === 'string') out.description = s.description;
    return out;
  }
  // IntOrString and Quantity: a v3 `oneOf` of their JSON forms, a string in v2 (as upstream's).
  const out: Json = Array.isArray(s.oneOf) && s.type === undefined ? { type: 'string' } : {};
  for (const [k, v] of Object.entries(s)) {
    switch (k) {
      case '$ref':
        out.$ref = refV2(v as string);
        break;
      case 'items':
        out.items = schemaV2(v as Json);
        break;
      case 'additionalProperties':
        out.additionalProperties = typeof v === 'boolean' ? v : schemaV2(v as Json);
        break;
      case 'properties':
        out.properties = Object.fromEntries(Object.entries(v as Json).map(([name, p]) => [name, schemaV2(p as Json)]));
        break;
      case 'type':
      case 'format':
      case 'description':
      case 'required':
        out[k] = v;
        break;
      default:
        if (k.startsWith('x-')) out[k] = v;
    }
  }
  return out;
}

function refV2(ref: string): string {
  return ref.startsWith(V3_REF) ? V2_REF + ref.slice(V3_REF.length) : ref;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

/** The Swagger 2.0 document of the given v3 documents (each `{paths, components.schemas}`). */
export function buildOpenAPIV2(v3docs: Json[], version: string): Json {
  const paths: Json = {};
  const definitions: Json = {};
  for (const doc of v3docs) {
    for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
      const outItem: Json = {};
      for (const m of METHODS) {
        const op = item[m] as Json | undefined;
        if (!op) continue;
        const o: Json = { operationId: op.operationId };
        const params = ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'query');
        if (params.length > 0) {
          o.parameters = params.map((p) => ({ name: p.name, in: 'query', description: p.description, type: (p.schema as Json | undefined)?.type ?? 'string', uniqueItems: true }));
        }
        for (const [k, v] of Object.entries(op)) if (k.startsWith('x-')) o[k] = v;
        outItem[m] = o;
      }
      if (Object.keys(outItem).length > 0) paths[path] = outItem;
    }
    const schemas = ((doc.components as Json | undefined)?.schemas ?? {}) as Record<string, Json>;
    for (const [name, s] of Object.entries(schemas)) definitions[name] ??= schemaV2(s);
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version }, paths, definitions };
}

// ---------------------------------------------------------------------------------------------
// Protobuf encoding (gnostic openapi.v2).

/** Bytes of one protobuf message, built field by field. */
class Message {
  private readonly parts: Buffer[] = [];

  private key(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(n: number): void {
    const bytes: number[] = [];
    while (n > 0x7f) {
      bytes.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    bytes.push(n);
    this.parts.push(Buffer.from(bytes));
  }

  string(field: number, value: unknown): this {
    if (typeof value !== 'string') return this;
    const b = Buffer.from(value, 'utf8');
    this.key(field, 2);
    this.varint(b.length);
    this.parts.push(b);
    return this;
  }

  strings(field: number, values: unknown): this {
    if (Array.isArray(values)) for (const v of values) this.string(field, v);
    return this;
  }

  bool(field: number, value: boolean): this {
    this.key(field, 0);
    this.varint(value ? 1 : 0);
    return this;
  }

  message(field: number, m: Message): this {
    const b = m.bytes();
    this.key(field, 2);
    this.varint(b.length);
    this.parts.push(b);
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** NamedAny{name=1, value=2 Any{yaml=2}} for each `x-` extension of `o`. */
function vendorExtensions(m: Message, field: number, o: Json): void {
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith('x-')) continue;
    m.message(field, new Message().string(1, k).message(2, new Message().string(2, toYaml(v))));
  }
}

/** gnostic Schema: _ref=1 format=2 description=4 required=19 additional_properties=21 type=22 items=23 properties=25 vendor_extension=31. */
function encodeSchema(s: Json): Message {
  const m = new Message().string(1, s.$ref).string(2, s.format).string(4, s.description).strings(19, s.required);
  const ap = s.additionalProperties;
  if (typeof ap === 'boolean') m.message(21, new Message().bool(2, ap));
  else if (ap && typeof ap === 'object') m.message(21, new Message().message(1, encodeSchema(ap as Json)));
  if (typeof s.type === 'string') m.message(22, new Message().string(1, s.type));
  if (s.items && typeof s.items === 'object') m.message(23, new Message().message(1, encodeSchema(s.items as Json)));
  if (s.properties && typeof s.properties === 'object') {
    const props = new Message();
    for (const [name, p] of Object.entries(s.properties as Json)) props.message(1, new Message().string(1, name).message(2, encodeSchema(p as Json)));
    m.message(25, props);
  }
  vendorExtensions(m, 31, s);
  return m;
}

/** PathItem: get=2 put=3 post=4 delete=5 options=6 head=7 patch=8; Operation: operation_id=5 parameters=8 vendor_extension=13. */
const PATH_ITEM_FIELD: Record<(typeof METHODS)[number], number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

function encodeOperation(op: Json): Message {
  const m = new Message().string(5, op.operationId);
  for (const p of (op.parameters ?? []) as Json[]) {
    // ParametersItem{parameter=1} → Parameter{non_body_parameter=2} → NonBodyParameter{query_parameter_sub_schema=3}
    // → QueryParameterSubSchema{in=2 description=3 name=4 type=6 unique_items=20}.
    const query = new Message().string(2, 'query').string(3, p.description).string(4, p.name).string(6, p.type).bool(20, true);
    m.message(8, new Message().message(1, new Message().message(2, new Message().message(3, query))));
  }
  vendorExtensions(m, 13, op);
  return m;
}

/** Document: swagger=1 info=2 (Info{title=1 version=2}) paths=8 (Paths{path=2 NamedPathItem{name=1 value=2}}) definitions=9 (Definitions{additional_properties=1 NamedSchema{name=1 value=2}}). */
export function encodeOpenAPIV2(doc: Json): Buffer {
  const info = doc.info as Json;
  const m = new Message().string(1, doc.swagger).message(2, new Message().string(1, info.title).string(2, info.version));
  const paths = new Message();
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    const pi = new Message();
    for (const method of METHODS) if (item[method]) pi.message(PATH_ITEM_FIELD[method], encodeOperation(item[method] as Json));
    paths.message(2, new Message().string(1, path).message(2, pi));
  }
  m.message(8, paths);
  const defs = new Message();
  for (const [name, s] of Object.entries(doc.definitions as Record<string, Json>)) defs.message(1, new Message().string(1, name).message(2, encodeSchema(s)));
  m.message(9, defs);
  return m.bytes();
}
