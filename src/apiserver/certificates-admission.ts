// What the API server adds to CertificateSigningRequest writes beyond the registry's strategy:
// the requesting user (upstream's PrepareForCreate reads it from the request context), the
// admission plugins CertificateSubjectRestriction, CertificateApproval and CertificateSigning
// (plugin/pkg/admission/certificates). Approved requests are signed by the controller manager's
// CSR signer (controllers/certificates), given the cluster CA by apiserver/index.ts.
//
// Contract of certificateSigningRequestAdmission (an AdmitFn around the request's own):
// - create: spec.username, uid, groups and extra are the requesting user's (the strategy has
//   cleared what the body said; an in-process request, which has no user, leaves them empty). A
//   request for kubernetes.io/kube-apiserver-client whose subject has O=system:masters is
//   refused (403 "use of ... signer with system:masters group is not allowed"), as is one whose
//   request does not parse.
// - /approval: the caller needs verb `approve` on `signers` (certificates.k8s.io) named the
//   stored request's signerName, or `<domain>/*` (IsAuthorizedForSignerName); else 403
//   `user not permitted to approve requests with signerName "..."`.
// - /status that changes status.certificate or status.conditions: likewise verb `sign`.
// - The trusted in-process listener (no authorizer) is not asked.


import type { KindDef } from '../api/kinds.js';
import { ApiError, forbidden } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import { csrNames, parseCsrPem, bytesField, KubeAPIServerClientSignerName } from '../api/validation/index.js';
import type { AuthorizationAttributes, Decision, UserInfo } from '../auth/index.js';
import type { AdmitFn } from './registry.js';

const GROUP = 'certificates.k8s.io';
const ref = { group: GROUP, resource: 'certificatesigningrequests', kind: 'CertificateSigningRequest' };

export function isCertificateSigningRequestKind(k: KindDef): boolean {
  return k.group === GROUP && k.plural === 'certificatesigningrequests';
}

type Csr = KubeObject & { spec?: Record<string, unknown>; status?: { certificate?: unknown; conditions?: unknown } };

/** IsAuthorizedForSignerName: `verb` on signers/<signerName>, else on signers/<domain>/*. */
export async function isAuthorizedForSignerName(
  authorize: (a: AuthorizationAttributes) => Promise<Decision>,
  user: UserInfo,
  verb: 'approve' | 'sign',
  signerName: string,
): Promise<boolean> {
  const attrs = (name: string): AuthorizationAttributes => ({
    user: user.user,
    groups: user.groups,
    verb,
    isResourceRequest: true,
    apiGroup: GROUP,
    apiVersion: '*',
    resource: 'signers',
    subresource: '',
    namespace: '',
    name,
    path: '',
  });
  if ((await authorize(attrs(signerName))).allowed) return true;
  const domain = signerName.split('/')[0] ?? '';
  return (await authorize(attrs(`${domain}/*`))).allowed;
}

export interface CsrAdmissionOptions {
  /** The request's own admission (NodeRestriction, create-on-update), run after these checks. */
  inner: AdmitFn | undefined;
  /** Who asks; undefined: the trusted in-process listener. */
  user: UserInfo | undefined;
  /** Absent with `user` undefined: nobody is asked. */
  authorize?: (a: AuthorizationAttributes) => Promise<Decision>;
  subresource: string | undefined;
}

/** The AdmitFn of a CertificateSigningRequest write (see the file comment). */
export function certificateSigningRequestAdmission(o: CsrAdmissionOptions): AdmitFn {
  return async (next, old) => {
    const name = (old ?? next)?.metadata.name ?? '';
    const refuse = (why: string): ApiError => forbidden(`certificatesigningrequests.${GROUP} "${name}" is forbidden: ${why}`, ref, name);
    if (next && !old && o.subresource === undefined) {
      const spec = ((next as Csr).spec ??= {});
      if (o.user) {
        spec.username = o.user.user;
        if (o.user.uid) spec.uid = o.user.uid;
        if (o.user.groups.length > 0) spec.groups = [...o.user.groups];
        if (o.user.extra && Object.keys(o.user.extra).length > 0) spec.extra = structuredClone(o.user.extra);
      }
      // CertificateSubjectRestriction.
      if (spec.signerName === KubeAPIServerClientSignerName) {
        const parsed = parseCsrPem(bytesField(spec.request));
        if ('error' in parsed) throw refuse(`failed to parse CSR: ${parsed.error}`);
        if (csrNames(parsed.csr).organizations.includes('system:masters')) {
          throw refuse(`use of ${KubeAPIServerClientSignerName} signer with system:masters group is not allowed`);
        }
      }
    }
    if (next && old && o.user && o.authorize) {
      const signerName = typeof (old as Csr).spec?.signerName === 'string' ? ((old as Csr).spec!.signerName as string) : '';
      if (o.subresource === 'approval' && !(await isAuthorizedForSignerName(o.authorize, o.user, 'approve', signerName))) {
        throw refuse(`user not permitted to approve requests with signerName ${JSON.stringify(signerName)}`);
      }
      if (o.subresource === 'status') {
        const a = (old as Csr).status ?? {};
        const b = (next as Csr).status ?? {};
        const changed = (a.certificate ?? '') !== (b.certificate ?? '') || JSON.stringify(a.conditions ?? []) !== JSON.stringify(b.conditions ?? []);
        if (changed && !(await isAuthorizedForSignerName(o.authorize, o.user, 'sign', signerName))) {
          throw refuse(`user not permitted to sign requests with signerName ${JSON.stringify(signerName)}`);
        }
      }
    }
    await o.inner?.(next, old);
  };
}
