// apimachinery definitions: ObjectMeta, ListMeta, OwnerReference, ManagedFieldsEntry,
// LabelSelector, Condition, Status, DeleteOptions, and the special scalar types (Time,
// MicroTime, Quantity, IntOrString, RawExtension, FieldsV1, Patch).

import {
  META, QUANTITY, INT_OR_STRING, RAW_EXTENSION,
  any, bool, int32, int64, keyedList, list, listMeta, obj, ref, setList, str, strList, strMap, time, typeMeta,
  type Definitions,
} from './dsl.js';

export const metaDefinitions: Definitions = {
  [META + 'Time']: { kind: 'scalar', type: 'string', format: 'date-time', description: 'A timestamp in RFC 3339 form with second precision, e.g. "2024-01-02T15:04:05Z".' },
  [META + 'MicroTime']: { kind: 'scalar', type: 'string', format: 'date-time', description: 'A timestamp in RFC 3339 form with microsecond precision, e.g. "2024-01-02T15:04:05.000000Z".' },
  [META + 'FieldsV1']: any('A set of field paths in the JSON "FieldsV1" trie format used by server-side apply to record field ownership.'),
  [META + 'Patch']: obj('The body of a PATCH request; its format is chosen by the request Content-Type.', {}),
  [QUANTITY]: { kind: 'quantity', description: 'A fixed-point amount with an optional unit suffix, written as a string such as "100m", "1.5", "64Mi" or "2Gi" (a bare JSON number is accepted too). Binary suffixes: Ki Mi Gi Ti Pi Ei; decimal: m k M G T P E; or an exponent such as 1e3.' },
  [INT_OR_STRING]: { kind: 'int-or-string', description: 'Either a 32-bit integer or a string, e.g. a port number or a port name, or a count or a percentage such as "10%".' },
  [RAW_EXTENSION]: any('An embedded object of any kind, kept as given.'),

  [META + 'ObjectMeta']: obj('Metadata every persisted object has: identity, labels, annotations, ownership and lifecycle fields.', {
    name: str('Name of the object, unique within its namespace (or the cluster for cluster-scoped kinds). Required on create unless generateName is set. Cannot be updated.'),
    generateName: str('Prefix from which the server builds a unique name when name is empty; a random suffix is appended.'),
    namespace: str('Namespace the object lives in. Empty means "default" for namespaced kinds; ignored for cluster-scoped kinds. Cannot be updated.'),
    selfLink: str('Deprecated and no longer set by the server.'),
    uid: str('Unique identifier set by the server on create; never reused. Read-only.'),
    resourceVersion: str('Opaque version of this object, changed on every write. Used for optimistic concurrency and as the starting point of watches. Read-only for clients.'),
    generation: int64('Sequence number of a specific generation of the desired state, incremented by the server when the spec changes. Read-only.'),
    creationTimestamp: time('When the object was created, set by the server. Read-only.'),
    deletionTimestamp: time('When the object will be (or started to be) deleted, set by the server when a graceful deletion is requested. Read-only.'),
    deletionGracePeriodSeconds: int64('Seconds allowed for graceful termination before the object is removed. Set together with deletionTimestamp. Read-only.'),
    labels: strMap('Key/value pairs used to organize and select objects (by selectors of controllers and services).'),
    annotations: strMap('Arbitrary non-identifying key/value metadata stored with the object, e.g. by tools.'),
    ownerReferences: keyedList(ref(META + 'OwnerReference'), 'uid', 'Objects this object depends on. When every owner is gone the garbage collector deletes this object. At most one may be the managing controller.'),
    finalizers: setList(str(), 'Keys that must be empty before the object is removed from storage. Each names a party that has cleanup to do.', 'merge'),
    managedFields: list(ref(META + 'ManagedFieldsEntry'), 'Field ownership recorded by server-side apply: which manager set which fields, and how. Mostly internal.'),
  }),

  [META + 'ListMeta']: obj('Metadata of a list response.', {
    selfLink: str('Deprecated and no longer set by the server.'),
    resourceVersion: str('Version of the store at which the list was produced; start a watch from it to see later changes.'),
    continue: str('Token to fetch the next chunk of a paginated list; empty when there are no more items.'),
    remainingItemCount: int64('Number of items after this chunk, when the server can tell cheaply. An estimate.'),
  }),

  [META + 'OwnerReference']: obj('Identifies an owning object in the same namespace (or a cluster-scoped owner).', {
    apiVersion: str('API version of the owner.'),
    kind: str('Kind of the owner.'),
    name: str('Name of the owner.'),
    uid: str('UID of the owner.'),
    controller: bool('True when the owner is the managing controller of this object.'),
    blockOwnerDeletion: bool('When true, a foreground deletion of the owner waits until this object is gone.'),
  }, ['apiVersion', 'kind', 'name', 'uid']),

  [META + 'ManagedFieldsEntry']: obj('One field manager\'s ownership of a set of fields of the object.', {
    manager: str('Name of the workflow (field manager) that owns the fields.'),
    operation: str('Operation that caused this entry: Apply or Update.'),
    apiVersion: str('API version the fields are expressed in.'),
    time: time('When the fields were last changed by this manager.'),
    fieldsType: str('Format of fieldsV1; only "FieldsV1" exists.'),
    fieldsV1: ref(META + 'FieldsV1', 'The owned fields.'),
    subresource: str('Subresource the operation was sent to (e.g. "status"), empty for the main resource.'),
  }),

  [META + 'LabelSelector']: obj('Selects objects by labels. Requirements are ANDed; an empty selector matches everything, a null one nothing.', {
    matchLabels: strMap('Exact key/value pairs to match; each is the same as an "In" expression with one value.'),
    matchExpressions: list(ref(META + 'LabelSelectorRequirement'), 'Set-based requirements on labels.'),
  }),
  [META + 'LabelSelectorRequirement']: obj('One set-based label requirement: key, operator and values.', {
    key: str('The label key.'),
    operator: str('How the key relates to the values: In, NotIn, Exists or DoesNotExist.'),
    values: strList('Values for In and NotIn (must be non-empty); must be empty for Exists and DoesNotExist.'),
  }, ['key', 'operator']),
  [META + 'FieldSelectorRequirement']: obj('One field requirement: key, operator and values.', {
    key: str('The field path, e.g. spec.nodeName.'),
    operator: str('How the field relates to the values: In, NotIn, Exists or DoesNotExist.'),
    values: strList('Values for In and NotIn (must be non-empty); must be empty for Exists and DoesNotExist.'),
  }, ['key', 'operator']),

  [META + 'Condition']: obj('Standard condition of an object\'s current state.', {
    type: str('Condition type in CamelCase, e.g. "Ready".'),
    status: str('True, False or Unknown.'),
    observedGeneration: int64('The .metadata.generation the condition was computed from.'),
    lastTransitionTime: time('Last time the status changed.'),
    reason: str('Machine-readable CamelCase reason for the last transition.'),
    message: str('Human-readable details of the last transition.'),
  }, ['type', 'status', 'lastTransitionTime', 'reason', 'message']),

  [META + 'Status']: obj('Result of an operation that does not return an object, typically an error.', {
    ...typeMeta(),
    metadata: listMeta(),
    status: str('"Success" or "Failure".'),
    message: str('Human-readable description of the result.'),
    reason: str('Machine-readable CamelCase reason, e.g. NotFound or Conflict; empty when unknown.'),
    details: ref(META + 'StatusDetails', 'Extra data about the reason, depending on it.'),
    code: int32('Suggested HTTP status code.'),
  }),
  [META + 'StatusDetails']: obj('Details about a failed operation: the object involved and the causes.', {
    name: str('Name of the object the failure is about.'),
    group: str('API group of the object.'),
    kind: str('Kind (or resource) of the object.'),
    uid: str('UID of the object.'),
    causes: list(ref(META + 'StatusCause'), 'Individual problems, e.g. one per invalid field.'),
    retryAfterSeconds: int32('Seconds the client should wait before retrying.'),
  }),
  [META + 'StatusCause']: obj('One cause of a failure.', {
    reason: str('Machine-readable cause, e.g. FieldValueInvalid.'),
    message: str('Human-readable description of the cause.'),
    field: str('Path of the field that caused the failure, e.g. "spec.containers[0].name".'),
  }),

  [META + 'DeleteOptions']: obj('Options of a DELETE request.', {
    ...typeMeta(),
    gracePeriodSeconds: int64('Seconds before the object is deleted; 0 means immediately, unset means the kind\'s default.'),
    preconditions: ref(META + 'Preconditions', 'Conditions that must hold for the deletion to proceed.'),
    orphanDependents: bool('Deprecated; use propagationPolicy. When true, dependents are orphaned.'),
    propagationPolicy: str('How dependents are garbage collected: Orphan, Background or Foreground.'),
    dryRun: strList('When present, the deletion is not persisted. The only valid value is "All".'),
    ignoreStoreReadErrorWithClusterBreakingPotential: bool('Deletes an object that cannot be read from storage (unsafe; needs special permission).'),
  }),
  [META + 'Preconditions']: obj('Must match the stored object for an operation to proceed.', {
    uid: str('Expected UID.'),
    resourceVersion: str('Expected resourceVersion.'),
  }),
};
