// apiextensions.k8s.io/v1 CustomResourceDefinition. The schema of each version
// (openAPIV3Schema) is kept as given; its fields' types are checked as upstream decodes them
// (json-schema-props.ts).

import {
  APIEXTENSIONS,
  bool, condition, int32, list, listOf, mapList, obj, objectMeta, ref, str, strList, typeMeta,
  webhookClientDefinitions,
  type Definitions,
} from './dsl.js';

const r = (name: string, description?: string) => ref(APIEXTENSIONS + name, description);

export const apiextensionsDefinitions: Definitions = {
  [APIEXTENSIONS + 'CustomResourceDefinition']: obj('Declares a custom resource type: its group, names, versions and schemas.', {
    ...typeMeta(),
    metadata: objectMeta('Standard object metadata; the name is <plural>.<group>.'),
    spec: r('CustomResourceDefinitionSpec', 'The custom resource type.'),
    status: r('CustomResourceDefinitionStatus', 'State of the definition. Read-only.'),
  }, ['spec']),
  [APIEXTENSIONS + 'CustomResourceDefinitionList']: listOf(APIEXTENSIONS + 'CustomResourceDefinition', 'custom resource definitions'),
  [APIEXTENSIONS + 'CustomResourceDefinitionSpec']: obj('A custom resource type.', {
    group: str('API group of the resources, a DNS subdomain such as stable.example.com.'),
    names: r('CustomResourceDefinitionNames', 'Names of the resource and its kind.'),
    scope: str('Cluster or Namespaced.'),
    versions: list(r('CustomResourceDefinitionVersion'), 'The versions served; exactly one is the storage version.'),
    conversion: r('CustomResourceConversion', 'How objects are converted between versions.'),
    preserveUnknownFields: bool('Deprecated: keep fields the schema does not name. Must be false.'),
  }, ['group', 'names', 'scope', 'versions']),
  [APIEXTENSIONS + 'CustomResourceDefinitionNames']: obj('Names of a custom resource.', {
    plural: str('Plural resource name, lowercase (in URLs).'),
    singular: str('Singular name, lowercase. Default: the kind in lowercase.'),
    shortNames: strList('Short names for the CLI.'),
    kind: str('Kind of the objects, CamelCase.'),
    listKind: str('Kind of lists. Default: <kind>List.'),
    categories: strList('Categories the resource belongs to, such as all.'),
  }, ['plural', 'kind']),
  [APIEXTENSIONS + 'CustomResourceDefinitionVersion']: obj('One version of a custom resource.', {
    name: str('Version name, such as v1 or v1beta1.'),
    served: bool('Whether this version is served.'),
    storage: bool('Whether objects are stored in this version (exactly one version).'),
    deprecated: bool('Whether this version is deprecated.'),
    deprecationWarning: str('Warning returned to clients of a deprecated version.'),
    schema: r('CustomResourceValidation', 'Schema of objects of this version.'),
    subresources: r('CustomResourceSubresources', 'Subresources served for this version.'),
    additionalPrinterColumns: list(r('CustomResourceColumnDefinition'), 'Extra columns of table output.'),
    selectableFields: list(r('SelectableField'), 'Fields that field selectors may use.'),
  }, ['name', 'served', 'storage']),
  [APIEXTENSIONS + 'CustomResourceValidation']: obj('The schema of a custom resource version.', {
    // Kept as given, but its types are Go's v1.JSONSchemaProps's (json-schema-props.ts).
    openAPIV3Schema: { kind: 'any', decodeAs: 'JSONSchemaProps', description: 'OpenAPI v3 schema of the objects.' },
  }),
  [APIEXTENSIONS + 'CustomResourceSubresources']: obj('Subresources of a custom resource.', {
    status: r('CustomResourceSubresourceStatus', 'Present (an empty object) to serve /status.'),
    scale: r('CustomResourceSubresourceScale', 'Present to serve /scale.'),
  }),
  [APIEXTENSIONS + 'CustomResourceSubresourceStatus']: obj('Present (an empty object) to serve /status: its writes change only the status, the main resource\'s everything else.', {}),
  [APIEXTENSIONS + 'CustomResourceSubresourceScale']: obj('Paths of the /scale subresource.', {
    specReplicasPath: str('JSON path of the desired replicas, under .spec.'),
    statusReplicasPath: str('JSON path of the observed replicas, under .status.'),
    labelSelectorPath: str('JSON path of the label selector, under .status or .spec.'),
  }, ['specReplicasPath', 'statusReplicasPath']),
  [APIEXTENSIONS + 'CustomResourceColumnDefinition']: obj('A column of table output.', {
    name: str('Column name.'),
    type: str('OpenAPI type of the column: integer, number, string, boolean or date.'),
    format: str('Optional OpenAPI format.'),
    description: str('Column description.'),
    priority: int32('0 for the default output; higher only with -o wide.'),
    jsonPath: str('JSON path, from the object, of the column\'s value.'),
  }, ['name', 'type', 'jsonPath']),
  [APIEXTENSIONS + 'SelectableField']: obj('A field usable in field selectors.', {
    jsonPath: str('JSON path of the field.'),
  }, ['jsonPath']),
  [APIEXTENSIONS + 'CustomResourceConversion']: obj('How a custom resource is converted between versions.', {
    strategy: str('None (only apiVersion changes, the default) or Webhook.'),
    webhook: r('WebhookConversion', 'The conversion webhook, for strategy Webhook.'),
  }, ['strategy']),
  [APIEXTENSIONS + 'WebhookConversion']: obj('A conversion webhook.', {
    clientConfig: r('WebhookClientConfig', 'How to reach the webhook.'),
    conversionReviewVersions: strList('ConversionReview versions the webhook accepts.'),
  }, ['conversionReviewVersions']),
  ...webhookClientDefinitions(APIEXTENSIONS),
  [APIEXTENSIONS + 'CustomResourceDefinitionStatus']: obj('State of a custom resource definition.', {
    // listType=map keyed by type, with no patch strategy: a strategic merge patch replaces it whole (upstream's tags).
    conditions: mapList(r('CustomResourceDefinitionCondition'), ['type'], 'Conditions: NamesAccepted, Established.'),
    acceptedNames: r('CustomResourceDefinitionNames', 'The names actually served.'),
    storedVersions: strList('Every version objects have ever been stored in.'),
  }),
  [APIEXTENSIONS + 'CustomResourceDefinitionCondition']: condition('a custom resource definition'),
};
