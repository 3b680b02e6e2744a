// `POST /api/v1/namespaces/NS/serviceaccounts/NAME/token`: the TokenRequest API
// (authentication.k8s.io/v1), behind `kubectl create token` and the tokens agents give pods.
//
// Contract (upstream's serviceaccount token REST):
// - The service account must exist (404). spec.expirationSeconds defaults to 3600 and must be
//   at least 600 (422); spec.audiences default to the API audience. spec.boundObjectRef may
//   name a Pod, a Node or a Secret (other kinds: 422): it must exist (404; a Pod or Secret in the
//   account's namespace), match its uid when one is given (409), and a Pod must run as this
//   service account (400). The token then stops working with that object. A pod-bound token
//   also names the pod's node (when it can be read) and stops working with it too.
// - A node (system:node:<n>) may only get tokens bound, by uid, to non-mirror pods bound to it,
//   for the account those pods run as: the Node authorizer refuses accounts none of its pods
//   runs as, then upstream's NodeRestriction checks (403 `serviceaccounts "<sa>" is forbidden:
//   node requested token ...`; 404 for a pod that does not exist) come before any other lookup.
// - The answer (201) is the request with status { token, expirationTimestamp }; nothing is
//   stored.

import { ApiError, badRequest, fe, forbidden, invalid, notFound } from '../api/errors.js';
import type { KindRegistry } from '../api/kinds.js';
import type { KubeObject, Pod } from '../api/types.js';
import { decodeObject } from '../api/schema/index.js';
import { checkTypeMeta } from './http.js';
import { MIRROR_POD_ANNOTATION, nodeNameOf, type ServiceAccountTokens, type UserInfo } from '../auth/index.js';
import type { RestRegistry } from './registry.js';

const TOKEN_REQUEST = { group: 'authentication.k8s.io', resource: 'tokenrequests', kind: 'TokenRequest' };
const MIN_EXPIRATION = 600;
const DEFAULT_EXPIRATION = 3600;
/** Upstream caps requested lifetimes at 2^32 seconds. */
const MAX_EXPIRATION = 2 ** 32;

/** The subresource in core v1 discovery, as upstream lists it. */
export const tokenRequestDiscovery = {
  group: '',
  version: 'v1',
  resources: [{ name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] }],
};

export interface TokenRequestDeps {
  registry: RestRegistry;
  kinds: KindRegistry;
  signer: ServiceAccountTokens;
}

async function getObject<T extends KubeObject>(deps: TokenRequestDeps, plural: string, namespace: string, name: string): Promise<T | undefined> {
  const k = deps.kinds.byResource('', 'v1', plural);
  if (!k) return undefined;
  try {
    return JSON.parse(await deps.registry.get(k, namespace, name)) as T;
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw err;
  }
}

/** Answers one TokenRequest for service account `name` in `namespace`; returns the JSON for a 201. */
export async function serveTokenRequest(deps: TokenRequestDeps, namespace: string, name: string, body: unknown, caller: UserInfo | undefined, now = new Date()): Promise<string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('TokenRequest in version "v1" cannot be handled as a TokenRequest: the body must be a JSON object');
  checkTypeMeta(body as { apiVersion?: unknown; kind?: unknown }, 'authentication.k8s.io/v1', 'TokenRequest');
  // Decoded as upstream decodes it: a field of the wrong JSON type is a 400, no token issued.
  const req = decodeObject({ group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, body, 'Ignore').object as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown }; spec?: { audiences?: unknown; expirationSeconds?: unknown; boundObjectRef?: { kind?: unknown; apiVersion?: unknown; name?: unknown; uid?: unknown } } };
  // A name or namespace in the body must be the service account's, as upstream requires.
  const meta = typeof req.metadata === 'object' && req.metadata !== null ? req.metadata : {};
  if (typeof meta.name === 'string' && meta.name !== '' && meta.name !== name) throw invalid(TOKEN_REQUEST, name, [fe.invalid('metadata.name', meta.name, 'must match the service account name if specified')]);
  if (typeof meta.namespace === 'string' && meta.namespace !== '' && meta.namespace !== namespace) {
    throw invalid(TOKEN_REQUEST, name, [fe.invalid('metadata.namespace', meta.namespace, 'must match the service account namespace if specified')]);
  }
  const spec = req.spec ?? {};
  const errs = [];
  const exp = spec.expirationSeconds ?? DEFAULT_EXPIRATION;
  if (typeof exp !== 'number' || !Number.isInteger(exp)) errs.push(fe.invalid('spec.expirationSeconds', exp, 'must be an integer'));
  else if (exp < MIN_EXPIRATION) errs.push(fe.invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 10 minutes'));
  else if (exp > MAX_EXPIRATION) errs.push(fe.invalid('spec.expirationSeconds', exp, 'may not specify a duration larger than 2^32 seconds'));
  const audiences = spec.audiences ?? [];
  if (!Array.isArray(audiences) || audiences.some((a) => typeof a !== 'string')) errs.push(fe.invalid('spec.audiences', audiences, 'must be a list of strings'));
  const ref = spec.boundObjectRef;
  const bindable = ['Node', 'Pod', 'Secret'];
  if (ref !== undefined && ref !== null && !bindable.includes(ref.kind as string)) errs.push(fe.notSupported('spec.boundObjectRef.kind', ref.kind, bindable));
  if (ref && bindable.includes(ref.kind as string) && (typeof ref.name !== 'string' || ref.name === '')) errs.push(fe.required('spec.boundObjectRef.name'));
  if (errs.length > 0) throw invalid(TOKEN_REQUEST, '', errs);

  const node = caller ? nodeNameOf(caller.user, caller.groups) : undefined;
  if (node !== undefined) await admitNodeToken(deps, node, namespace, name, ref);
  const sa = await getObject<KubeObject>(deps, 'serviceaccounts', namespace, name);
  if (!sa) throw notFound({ group: '', resource: 'serviceaccounts', kind: 'ServiceAccount' }, name);
  let pod: Pod | undefined;
  let bound: KubeObject | undefined;
  if (ref) {
    const [plural, scope] = ref.kind === 'Node' ? ['nodes', ''] : ref.kind === 'Secret' ? ['secrets', namespace] : ['pods', namespace];
    const objName = ref.name as string;
    bound = await getObject<KubeObject>(deps, plural, scope, objName);
    if (!bound) throw notFound({ group: '', resource: plural, kind: ref.kind as string }, objName);
    if (typeof ref.uid === 'string' && ref.uid !== '' && ref.uid !== bound.metadata.uid) {
      throw new ApiError(409, 'Conflict', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
  }
  if (ref?.kind === 'Pod') {
    pod = bound as Pod;
    // A pod without an account runs as `default` (pods stored before admission set it), except
    // a mirror pod, which runs as none: it can never be bound to a token.
    const podAccount = pod.spec.serviceAccountName || (isMirrorPod(pod) ? '' : 'default');
    if (podAccount !== name) {
      throw badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
    }
  }
  // Mirror pods (which a node creates itself) run as no account, so they get none.
  if (node !== undefined && pod && isMirrorPod(pod)) throw saForbidden(name, 'node requested token bound to a mirror pod');
  const refOf = (o: KubeObject): { name: string; uid: string } => ({ name: o.metadata.name ?? '', uid: o.metadata.uid ?? '' });
  // A pod-bound token also names the pod's node, as upstream's (ServiceAccountTokenPodNodeInfo):
  // a node that cannot be read is left out, not an error.
  const podNode = pod?.spec.nodeName ? await getObject<KubeObject>(deps, 'nodes', '', pod.spec.nodeName).catch(() => undefined) : undefined;
  const issued = deps.signer.issue({
    namespace,
    serviceAccount: { name, uid: sa.metadata.uid ?? '' },
    audiences: audiences as string[],
    expirationSeconds: exp as number,
    ...(bound ? { [ref!.kind === 'Node' ? 'node' : ref!.kind === 'Secret' ? 'secret' : 'pod']: refOf(bound) } : {}),
    ...(podNode ? { node: refOf(podNode) } : {}),
    now,
  });
  return JSON.stringify({
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: { audiences: issued.claims.aud, expirationSeconds: exp, boundObjectRef: ref ? { kind: ref.kind, apiVersion: 'v1', name: bound!.metadata.name, uid: bound!.metadata.uid } : null },
    status: { token: issued.token, expirationTimestamp: issued.expiration.toISOString().replace(/\.\d{3}Z$/, 'Z') },
  });
}

/** upstream's admission.NewForbidden of a TokenRequest: `serviceaccounts "<name>" is forbidden: <why>`. */
function saForbidden(name: string, why: string): ApiError {
  return forbidden(`serviceaccounts ${JSON.stringify(name)} is forbidden: ${why}`, { group: '', resource: 'serviceaccounts', kind: 'serviceaccounts' }, name);
}

/**
 * NodeRestriction of a node's TokenRequest, before anything else is looked up (so a node learns
 * nothing of accounts or objects that are not its pods'): bound, by apiVersion v1, kind Pod, a
 * name and a uid, to a pod that exists with that uid and is bound to the node.
 */
async function admitNodeToken(deps: TokenRequestDeps, node: string, namespace: string, name: string, ref: { apiVersion?: unknown; kind?: unknown; name?: unknown; uid?: unknown } | null | undefined): Promise<void> {
  if (!ref || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || typeof ref.name !== 'string' || ref.name === '') throw saForbidden(name, 'node requested token not bound to a pod');
  if (typeof ref.uid !== 'string' || ref.uid === '') throw saForbidden(name, 'node requested token with a pod binding without a uid');
  const pod = await getObject<Pod>(deps, 'pods', namespace, ref.name);
  if (!pod) throw notFound({ group: '', resource: 'pods', kind: 'Pod' }, ref.name);
  if (pod.metadata.uid !== ref.uid) throw saForbidden(name, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  if (pod.spec.nodeName !== node) throw saForbidden(name, 'node requested token bound to a pod scheduled on a different node');
}

/** A mirror pod: marked by the annotation, or controlled by its Node (as every mirror pod a node may create is). */
function isMirrorPod(pod: Pod): boolean {
  if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return true;
  return (pod.metadata.ownerReferences ?? []).some((o) => o.apiVersion === 'v1' && o.kind === 'Node' && o.controller === true);
}
