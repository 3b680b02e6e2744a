// OpenAPI v3 (and v2 derived from it, openapi-v2.ts): the index (/openapi/v3) with a content hash per group/version document, and the
// documents themselves (/openapi/v3/api/v1, /openapi/v3/apis/<g>/<v>), built by the schema
// module from the KindRegistry and cached per registry version. The hash changes whenever a
// document's content does (clients cache documents by URL, kube-api §1.4).
// Group/versions served by their own handlers rather than the KindRegistry (the access reviews,
// metrics.k8s.io) are documented too, from the same discovery entries that list them
// (`extra`): their resources with the verbs discovery gives, for every kind with a schema.

import { createHash } from 'node:crypto';
import { connectOptionsKind, groupVersionOf, type KindRegistry } from '../api/kinds.js';
import { buildOpenAPIV3, definitionName, getDefinition, type OpenAPIResource } from '../api/schema/index.js';
import { buildOpenAPIV2, encodeOpenAPIV2 } from './openapi-v2.js';
import type { ExtraResources } from './discovery.js';
import type { Logger } from '../util/logger.js';

interface Built {
  version: number;
  index: string;
  /** 'api/v1' | 'apis/<g>/<v>' -> document JSON */
  docs: Map<string, { json: string; hash: string }>;
  /** The OpenAPI v2 document (openapi-v2.ts), made on first request. */
  v2?: { json: string; protobuf: Buffer; etag: string };
}

export class OpenApi {
  private built?: Built;

  constructor(
    private readonly kinds: KindRegistry,
    private readonly logger: Logger,
    /** Served group/versions outside the KindRegistry, as discovery lists them (discovery.ts). */
    private readonly extra: readonly ExtraResources[] = [],
  ) {}

  private build(): Built {
    if (this.built && this.built.version === this.kinds.version) return this.built;
    const docs = new Map<string, { json: string; hash: string }>();
    const groupVersions = [...this.kinds.groupVersions()];
    for (const e of this.extra) {
      if (!groupVersions.some((gv) => gv.group === e.group && gv.version === e.version)) groupVersions.push({ group: e.group, version: e.version });
    }
    for (const gv of groupVersions) {
      const resources: OpenAPIResource[] = this.kinds.kindsIn(gv.group, gv.version).map((k) => ({
        group: k.group,
        version: k.version,
        kind: k.kind,
        plural: k.plural,
        namespaced: k.namespaced,
        subresources: [...k.subresources],
        ...(k.connectSubresources ? { connect: k.connectSubresources.map((sub) => ({ subresource: sub, optionsKind: connectOptionsKind(k.kind, sub) })) } : {}),
        verbs: [...k.verbs],
        ...(k.custom ? { custom: true } : {}),
      }));
      resources.push(...extraResources(this.extra, gv.group, gv.version));
      if (resources.length === 0) continue;
      const groupVersion = groupVersionOf(gv);
      const path = gv.group === '' ? `api/${gv.version}` : `apis/${gv.group}/${gv.version}`;
      try {
        const json = JSON.stringify(buildOpenAPIV3(groupVersion, resources));
        const hash = createHash('sha512').update(json).digest('hex').toUpperCase().slice(0, 128);
        docs.set(path, { json, hash });
      } catch (err) {
        // A group/version without schemas is left out of OpenAPI; it is still served.
        this.logger.warn(`openapi: no document for ${groupVersion}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const [path, d] of docs) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${d.hash}` };
    this.built = { version: this.kinds.version, index: JSON.stringify({ paths }), docs };
    return this.built;
  }

  index(): string {
    return this.build().index;
  }

  /** The OpenAPI v2 document of every group/version, as JSON and as gnostic protobuf, with an ETag. */
  v2(): { json: string; protobuf: Buffer; etag: string } {
    const built = this.build();
    if (!built.v2) {
      const doc = buildOpenAPIV2([...built.docs.values()].map((d) => JSON.parse(d.json) as Record<string, unknown>), 'v1.32.0');
      const json = JSON.stringify(doc);
      built.v2 = { json, protobuf: encodeOpenAPIV2(doc), etag: `"${createHash('sha512').update(json).digest('hex').toUpperCase().slice(0, 128)}"` };
    }
    return built.v2;
  }

  /** The document at `path` ('api/v1', 'apis/apps/v1'), or undefined. */
  document(path: string): string | undefined {
    return this.build().docs.get(path)?.json;
  }
}

/**
 * The documented resources of `extra` in one group/version: top-level entries (no subresources)
 * of their own group/version whose kind has a schema, with no subresources of their own.
 */
function extraResources(extra: readonly ExtraResources[], group: string, version: string): OpenAPIResource[] {
  const out: OpenAPIResource[] = [];
  for (const e of extra) {
    if (e.group !== group || e.version !== version) continue;
    for (const r of e.resources) {
      const name = String(r.name);
      if (name.includes('/') || typeof r.kind !== 'string') continue;
      if ((r.group !== undefined && r.group !== group) || (r.version !== undefined && r.version !== version)) continue;
      if (!getDefinition(definitionName({ group, version, kind: r.kind }))) continue;
      out.push({ group, version, kind: r.kind, plural: name, namespaced: r.namespaced === true, subresources: [], verbs: Array.isArray(r.verbs) ? r.verbs.map(String) : [] });
    }
  }
  return out;
}
