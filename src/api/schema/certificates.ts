// certificates.k8s.io/v1 CertificateSigningRequest (upstream's k8s.io/api/certificates/v1).

import {
  bytes, int32, listOf, map, mapList, obj, objectMeta, ref, str, strList, time, typeMeta,
  type Definitions,
} from './dsl.js';

export const CERTIFICATES = 'io.k8s.api.certificates.v1.';

export const certificatesDefinitions: Definitions = {
  [CERTIFICATES + 'CertificateSigningRequest']: obj(
    'A request for a signed certificate from a named signer. Approved (or denied) through the approval subresource; the signer writes the certificate or a Failed condition through the status subresource.',
    {
      ...typeMeta(),
      metadata: objectMeta(),
      spec: ref(CERTIFICATES + 'CertificateSigningRequestSpec', 'The certificate request; immutable after creation.'),
      status: ref(CERTIFICATES + 'CertificateSigningRequestStatus', 'Approval conditions and the issued certificate.'),
    },
    ['spec'],
  ),
  [CERTIFICATES + 'CertificateSigningRequestList']: listOf(CERTIFICATES + 'CertificateSigningRequest', 'certificate signing requests'),
  [CERTIFICATES + 'CertificateSigningRequestSpec']: obj('The content of a certificate signing request.', {
    request: bytes('A PEM-encoded PKCS#10 CERTIFICATE REQUEST block (base64 in JSON).'),
    signerName: str('The signer to sign the request, a qualified name such as kubernetes.io/kube-apiserver-client, kubernetes.io/kube-apiserver-client-kubelet or kubernetes.io/kubelet-serving.'),
    expirationSeconds: int32('Requested duration of validity of the issued certificate (at least 600); the signer may issue a shorter one.'),
    usages: strList('Key usages requested in the issued certificate, e.g. "digital signature", "key encipherment", "client auth", "server auth".'),
    username: str('Name of the user that created the request; set by the server.'),
    uid: str('UID of the user that created the request; set by the server.'),
    groups: strList('Groups of the user that created the request; set by the server.'),
    extra: map(strList(), 'Extra attributes of the user that created the request; set by the server.'),
  }, ['request', 'signerName']),
  [CERTIFICATES + 'CertificateSigningRequestStatus']: obj('The approval state of a request and the issued certificate.', {
    conditions: mapList(ref(CERTIFICATES + 'CertificateSigningRequestCondition'), ['type'], 'Approved, Denied and Failed conditions (each at most once; Approved and Denied are mutually exclusive).'),
    certificate: bytes('The issued certificate, PEM CERTIFICATE blocks (base64 in JSON); written by the signer once the request is approved.'),
  }),
  [CERTIFICATES + 'CertificateSigningRequestCondition']: obj('One condition of a certificate signing request.', {
    type: str('Approved, Denied or Failed (others may be added; Approved, Denied and Failed must be True).'),
    status: str('True, False or Unknown.'),
    reason: str('Brief reason for the condition.'),
    message: str('Human-readable details.'),
    lastUpdateTime: time('Last time this condition was updated.'),
    lastTransitionTime: time('Last time the condition changed status.'),
  }, ['type', 'status']),
};
