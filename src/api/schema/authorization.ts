// authorization.k8s.io/v1 access reviews: SubjectAccessReview, SelfSubjectAccessReview,
// LocalSubjectAccessReview and SelfSubjectRulesReview. Create-only questions answered by the
// authorizer and never stored (apiserver/reviews.ts serves them); described here so that the
// OpenAPI documents (kubectl explain) cover them.

import {
  AUTHORIZATION, META,
  bool, list, map, obj, objectMeta, ref, str, strList, typeMeta,
  type Definitions,
} from './dsl.js';

const spec = (of: string): string => `The question ${of} asks: one of resourceAttributes and nonResourceAttributes.`;
const status = 'The answer, filled in by the server.';

export const authorizationDefinitions: Definitions = {
  [AUTHORIZATION + 'SubjectAccessReview']: obj('Asks whether a given user or group may perform an action.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: ref(AUTHORIZATION + 'SubjectAccessReviewSpec', spec('the review') + ' Names the user, groups or both it is asked for.'),
    status: ref(AUTHORIZATION + 'SubjectAccessReviewStatus', status),
  }, ['spec']),
  [AUTHORIZATION + 'SelfSubjectAccessReview']: obj('Asks whether the requesting user may perform an action; an empty namespace asks about all namespaces.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: ref(AUTHORIZATION + 'SelfSubjectAccessReviewSpec', spec('the review')),
    status: ref(AUTHORIZATION + 'SubjectAccessReviewStatus', status),
  }, ['spec']),
  [AUTHORIZATION + 'LocalSubjectAccessReview']: obj('Asks whether a given user or group may perform an action in the namespace the review is created in.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: ref(AUTHORIZATION + 'SubjectAccessReviewSpec', spec('the review') + ' resourceAttributes.namespace must be the namespace of the request (empty: it is filled in).'),
    status: ref(AUTHORIZATION + 'SubjectAccessReviewStatus', status),
  }, ['spec']),
  [AUTHORIZATION + 'SelfSubjectRulesReview']: obj('Lists the actions the requesting user may perform in a namespace. The list may be incomplete, depending on the authorizers; use a SelfSubjectAccessReview to decide one request.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: ref(AUTHORIZATION + 'SelfSubjectRulesReviewSpec', 'The namespace whose rules are listed.'),
    status: ref(AUTHORIZATION + 'SubjectRulesReviewStatus', 'The rules, filled in by the server.'),
  }, ['spec']),

  [AUTHORIZATION + 'SubjectAccessReviewSpec']: obj('An access request to decide, for a user and groups. Exactly one of resourceAttributes and nonResourceAttributes is set.', {
    resourceAttributes: ref(AUTHORIZATION + 'ResourceAttributes', 'The request, when it is for a resource.'),
    nonResourceAttributes: ref(AUTHORIZATION + 'NonResourceAttributes', 'The request, when it is for a non-resource path.'),
    user: str('The user to decide for; with no groups, a user that is in no group.'),
    groups: strList('The groups to decide for.'),
    extra: map(strList(), 'Extra attributes of the user, as an authenticator reports them.'),
    uid: str('UID of the user.'),
  }),
  [AUTHORIZATION + 'SelfSubjectAccessReviewSpec']: obj('An access request to decide for the requesting user. Exactly one of resourceAttributes and nonResourceAttributes is set.', {
    resourceAttributes: ref(AUTHORIZATION + 'ResourceAttributes', 'The request, when it is for a resource.'),
    nonResourceAttributes: ref(AUTHORIZATION + 'NonResourceAttributes', 'The request, when it is for a non-resource path.'),
  }),
  [AUTHORIZATION + 'ResourceAttributes']: obj('The attributes of a request for a resource, as the authorizer sees them. "*" means all, where allowed.', {
    namespace: str('Namespace of the request: empty for cluster-scoped resources, and for namespaced resources all namespaces (a LocalSubjectAccessReview fills in its own).'),
    verb: str('API verb, e.g. get, list, watch, create, update, patch, delete or proxy; "*" for all.'),
    group: str('API group of the resource; "*" for all.'),
    version: str('API version of the resource; "*" for all.'),
    resource: str('Resource (plural name), e.g. pods; "*" for all.'),
    subresource: str('Subresource, e.g. status or log; empty for none.'),
    name: str('Name of the object read or deleted; empty for all.'),
    fieldSelector: ref(AUTHORIZATION + 'FieldSelectorAttributes', 'A field selector the request is limited by; it can only narrow access.'),
    labelSelector: ref(AUTHORIZATION + 'LabelSelectorAttributes', 'A label selector the request is limited by; it can only narrow access.'),
  }),
  [AUTHORIZATION + 'FieldSelectorAttributes']: obj('A field selector limiting a request, as raw text or as parsed requirements (not both).', {
    rawSelector: str('The field selector as it would appear in a query parameter.'),
    requirements: list(ref(META + 'FieldSelectorRequirement'), 'The parsed selector: every requirement must hold.'),
  }),
  [AUTHORIZATION + 'LabelSelectorAttributes']: obj('A label selector limiting a request, as raw text or as parsed requirements (not both).', {
    rawSelector: str('The label selector as it would appear in a query parameter.'),
    requirements: list(ref(META + 'LabelSelectorRequirement'), 'The parsed selector: every requirement must hold.'),
  }),
  [AUTHORIZATION + 'NonResourceAttributes']: obj('The attributes of a request for a non-resource path, as the authorizer sees them.', {
    path: str('URL path of the request, e.g. /healthz.'),
    verb: str('HTTP verb of the request, lower-case, e.g. get.'),
  }),
  [AUTHORIZATION + 'SubjectAccessReviewStatus']: obj('The decision on an access request.', {
    allowed: bool('The request would be allowed.'),
    denied: bool('The request would be denied. Neither allowed nor denied: no authorizer had an opinion, which means denied.'),
    reason: str('Why the request was allowed or denied.'),
    evaluationError: str('An error met while deciding; a decision may still have been reached.'),
  }, ['allowed']),

  [AUTHORIZATION + 'SelfSubjectRulesReviewSpec']: obj('Which rules a SelfSubjectRulesReview lists.', {
    namespace: str('The namespace whose rules are listed.'),
  }),
  [AUTHORIZATION + 'SubjectRulesReviewStatus']: obj('The rules that apply to the user in the namespace. They are a guide, not a decision: they may be incomplete.', {
    resourceRules: list(ref(AUTHORIZATION + 'ResourceRule'), 'Rules for resources; their order means nothing.'),
    nonResourceRules: list(ref(AUTHORIZATION + 'NonResourceRule'), 'Rules for non-resource paths; their order means nothing.'),
    incomplete: bool('Some authorizer could not list its rules, so the lists may lack some.'),
    evaluationError: str('An error met while listing the rules; set together with incomplete.'),
  }, ['resourceRules', 'nonResourceRules', 'incomplete']),
  [AUTHORIZATION + 'ResourceRule']: obj('Actions allowed on resources. "*" means all.', {
    verbs: strList('API verbs allowed, e.g. get, list, watch; "*" for all.'),
    apiGroups: strList('API groups of the resources; "*" for all.'),
    resources: strList('Resources the rule applies to; "*" for all, "*/sub" for a subresource of all.'),
    resourceNames: strList('Names of the objects the rule is limited to; empty or "*" for all.'),
  }, ['verbs']),
  [AUTHORIZATION + 'NonResourceRule']: obj('Actions allowed on non-resource paths.', {
    verbs: strList('HTTP verbs allowed, lower-case, e.g. get; "*" for all.'),
    nonResourceURLs: strList('Paths the rule applies to, e.g. /healthz; a trailing "*" matches a prefix, "*" all.'),
  }, ['verbs']),
};
