// authentication.k8s.io TokenReview and SelfSubjectReview: create-only questions about who a
// token or the requesting user is, never stored (apiserver/reviews.ts serves them); described
// here so that the OpenAPI documents (kubectl explain) cover them. SelfSubjectReview is served in
// v1beta1 and v1alpha1 too (kubectl 1.27's `auth whoami`), with the v1 UserInfo as upstream's.

import {
  AUTHENTICATION,
  bool, int64, map, obj, objectMeta, ref, str, strList, time, typeMeta,
  type Definitions,
} from './dsl.js';

/** The SelfSubjectReview kind and its status in `prefix`'s version. */
const selfSubjectReview = (prefix: string): Definitions => ({
  [prefix + 'SelfSubjectReview']: obj('Asks who the requesting user is: the server answers with the user\'s attributes as authentication found them.', {
    ...typeMeta(),
    metadata: objectMeta(),
    status: ref(prefix + 'SelfSubjectReviewStatus', 'The answer, filled in by the server.'),
  }),
  [prefix + 'SelfSubjectReviewStatus']: obj('Who the requesting user is.', {
    userInfo: ref(AUTHENTICATION + 'UserInfo', 'The attributes of the requesting user.'),
  }),
});

export const authenticationDefinitions: Definitions = {
  [AUTHENTICATION + 'TokenReview']: obj('Asks who a bearer token authenticates as.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: ref(AUTHENTICATION + 'TokenReviewSpec', 'The token to authenticate.'),
    status: ref(AUTHENTICATION + 'TokenReviewStatus', 'The answer, filled in by the server.'),
  }, ['spec']),
  [AUTHENTICATION + 'TokenReviewSpec']: obj('A token to authenticate.', {
    token: str('The bearer token, as a client would send it.'),
    audiences: strList('Audiences the caller accepts: the token must be valid for at least one. Empty: the server\'s own audiences.'),
  }),
  [AUTHENTICATION + 'TokenReviewStatus']: obj('The result of authenticating a token.', {
    authenticated: bool('The token is valid and names a user.'),
    user: ref(AUTHENTICATION + 'UserInfo', 'The user the token authenticates as.'),
    audiences: strList('The audiences, of those asked for (or of the server\'s), the token is valid for.'),
    error: str('Why the token could not be authenticated.'),
  }),
  [AUTHENTICATION + 'UserInfo']: obj('The attributes of an authenticated user.', {
    username: str('Name of the user, unique among active users.'),
    uid: str('UID of the user, unique over time (a new user of an old name has another one).'),
    groups: strList('Groups the user belongs to.'),
    extra: map(strList(), 'Further attributes the authenticator reported.'),
  }),
  // The body of serviceaccounts/NAME/token (apiserver/token-request.ts decodes a request with it).
  [AUTHENTICATION + 'TokenRequest']: obj('Asks for a token of a service account.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: ref(AUTHENTICATION + 'TokenRequestSpec', 'The token wanted.'),
    status: ref(AUTHENTICATION + 'TokenRequestStatus', 'The token, filled in by the server.'),
  }, ['spec']),
  [AUTHENTICATION + 'TokenRequestSpec']: obj('The token wanted.', {
    audiences: strList('The audiences the token is for.'),
    expirationSeconds: int64('How long the token is valid, in seconds.'),
    boundObjectRef: ref(AUTHENTICATION + 'BoundObjectReference', 'An object the token is bound to: it stops working when the object goes.'),
  }),
  [AUTHENTICATION + 'BoundObjectReference']: obj('An object a token is bound to.', {
    kind: str('Kind of the object: Pod, Secret or Node.'),
    apiVersion: str('API version of the object.'),
    name: str('Name of the object.'),
    uid: str('UID of the object.'),
  }),
  [AUTHENTICATION + 'TokenRequestStatus']: obj('The token issued.', {
    token: str('The token.'),
    expirationTimestamp: time('When the token expires.'),
  }, ['token', 'expirationTimestamp']),
  ...selfSubjectReview(AUTHENTICATION),
  ...selfSubjectReview('io.k8s.api.authentication.v1beta1.'),
  ...selfSubjectReview('io.k8s.api.authentication.v1alpha1.'),
};
