// Schema nodes: the one description of every served kind's structure. Used to type-check and
// prune request bodies (schema decode), to drive strategic merge patch (merge keys, list
// strategies), and to generate OpenAPI v3 (kubectl apply/explain). Descriptions are ours.

export type ScalarType = 'string' | 'integer' | 'number' | 'boolean';

/** A custom resource's `nullable: true`: a JSON null sent for the value is kept (else it means absent). */
export type SchemaNode = SchemaNodeShape & { nullable?: true };

type SchemaNodeShape =
  /** A named definition, e.g. 'io.k8s.api.core.v1.Container' (resolved through the registry). */
  | {
      kind: 'ref';
      ref: string;
      description?: string;
      /**
       * Strategic merge patch of a struct-valued field (x-kubernetes-patch-strategy beside the
       * $ref): 'replace' takes the patch's struct whole (PodDisruptionBudgetSpec.selector);
       * 'retainKeys' tells clients to send `$retainKeys` (DeploymentSpec.strategy).
       */
      patchStrategy?: 'replace' | 'retainKeys';
    }
  | {
      kind: 'scalar';
      type: ScalarType;
      /** Built-in kinds' format (int32, byte): decoding reads the value by it. */
      format?: string;
      /** A custom resource's format: shown in OpenAPI and checked by validation (string-formats.ts), never by decoding (values stay as sent, as upstream's unstructured objects). */
      schemaFormat?: string;
      enum?: string[];
      description?: string;
    }
  /** intstr.IntOrString: a JSON number (integer) or string. */
  | { kind: 'int-or-string'; description?: string }
  /** resource.Quantity: a string like "100m"/"1Gi" or a JSON number. */
  | { kind: 'quantity'; description?: string }
  /**
   * Arbitrary JSON (RawExtension, FieldsV1): stored as given, not checked. `decodeAs` names the
   * Go type upstream decodes it into, whose type errors decoding reports all the same (a CRD's
   * openAPIV3Schema: json-schema-props.ts).
   */
  | { kind: 'any'; description?: string; decodeAs?: 'JSONSchemaProps' }
  | {
      kind: 'object';
      properties: Record<string, SchemaNode>;
      required?: string[];
      /** x-kubernetes-map-type on a struct: 'atomic' structs are owned (and applied) as a whole by server-side apply. */
      structType?: 'atomic';
      /** x-kubernetes-preserve-unknown-fields (custom resources): fields not in `properties` are kept as they are. */
      preserveUnknown?: true;
      /** Custom resources: values of absent properties, filled in on decode (structural schema defaults). */
      defaults?: Record<string, unknown>;
      description?: string;
    }
  /** map[string]T (JSON object with free keys). */
  | {
      kind: 'map';
      values: SchemaNode;
      /** x-kubernetes-map-type: 'atomic' maps are owned as a whole by server-side apply. Absent: granular. */
      mapType?: 'atomic' | 'granular';
      description?: string;
    }
  | {
      kind: 'array';
      items: SchemaNode;
      /** Strategic merge patch: key that identifies elements (x-kubernetes-patch-merge-key). */
      patchMergeKey?: string;
      /** Strategic merge patch strategy (x-kubernetes-patch-strategy). Absent: atomic (replace). */
      patchStrategy?: 'merge' | 'replace' | 'merge,retainKeys';
      listType?: 'atomic' | 'set' | 'map';
      listMapKeys?: string[];
      description?: string;
    };

export interface GroupVersionKind {
  group: string; // '' for core
  version: string;
  kind: string;
}
