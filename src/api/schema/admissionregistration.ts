// admissionregistration.k8s.io/v1 Validating- and MutatingWebhookConfiguration: stored and
// served, never called (everynode runs no admission webhooks).

import {
  ADMISSION,
  int32, keyedList, labelSelector, list, listOf, obj, objectMeta, ref, str, strList, typeMeta,
  webhookClientDefinitions,
  type Definitions, type Props,
} from './dsl.js';

const webhookProps = (): Props => ({
  name: str('Name of the webhook, qualified (e.g. policy.example.com).'),
  clientConfig: ref(ADMISSION + 'WebhookClientConfig', 'How to reach the webhook.'),
  rules: list(ref(ADMISSION + 'RuleWithOperations'), 'The operations and resources the webhook cares about.'),
  failurePolicy: str('What a failed call means: Ignore or Fail (default).'),
  matchPolicy: str('How rules match requests of other versions: Exact or Equivalent (default).'),
  namespaceSelector: labelSelector('Namespaces whose objects are sent to the webhook. Default: all.'),
  objectSelector: labelSelector('Objects sent to the webhook, by their labels. Default: all.'),
  sideEffects: str('Whether calls have side effects: None or NoneOnDryRun.'),
  timeoutSeconds: int32('Seconds to wait for the webhook (1 to 30). Default 10.'),
  admissionReviewVersions: strList('AdmissionReview versions the webhook accepts, in order of preference.'),
  matchConditions: keyedList(ref(ADMISSION + 'MatchCondition'), 'name', 'CEL conditions a request must meet to be sent.'),
});

export const admissionDefinitions: Definitions = {
  [ADMISSION + 'ValidatingWebhookConfiguration']: obj('Admission webhooks that accept or reject objects.', {
    ...typeMeta(),
    metadata: objectMeta(),
    webhooks: keyedList(ref(ADMISSION + 'ValidatingWebhook'), 'name', 'The webhooks.'),
  }),
  [ADMISSION + 'ValidatingWebhookConfigurationList']: listOf(ADMISSION + 'ValidatingWebhookConfiguration', 'validating webhook configurations'),
  [ADMISSION + 'ValidatingWebhook']: obj('One validating admission webhook.', webhookProps(), ['name', 'clientConfig', 'sideEffects', 'admissionReviewVersions']),
  [ADMISSION + 'MutatingWebhookConfiguration']: obj('Admission webhooks that accept, reject or change objects.', {
    ...typeMeta(),
    metadata: objectMeta(),
    webhooks: keyedList(ref(ADMISSION + 'MutatingWebhook'), 'name', 'The webhooks.'),
  }),
  [ADMISSION + 'MutatingWebhookConfigurationList']: listOf(ADMISSION + 'MutatingWebhookConfiguration', 'mutating webhook configurations'),
  [ADMISSION + 'MutatingWebhook']: obj('One mutating admission webhook.', {
    ...webhookProps(),
    reinvocationPolicy: str('Whether the webhook is called again after later mutations: Never (default) or IfNeeded.'),
  }, ['name', 'clientConfig', 'sideEffects', 'admissionReviewVersions']),
  ...webhookClientDefinitions(ADMISSION),
  [ADMISSION + 'RuleWithOperations']: obj('Operations and resources a webhook matches.', {
    operations: strList('CREATE, UPDATE, DELETE, CONNECT or *.'),
    apiGroups: strList('API groups; "" is the core group, * all.'),
    apiVersions: strList('API versions; * all.'),
    resources: strList('Resources (and subresources as pods/status); * all.'),
    scope: str('Cluster, Namespaced or * (default).'),
  }),
  [ADMISSION + 'MatchCondition']: obj('A CEL condition on requests.', {
    name: str('Name of the condition.'),
    expression: str('CEL expression.'),
  }, ['name', 'expression']),
};
