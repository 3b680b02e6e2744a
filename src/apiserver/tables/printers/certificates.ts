// certificates.k8s.io CertificateSigningRequest rows, with upstream's columns
// (printCertificateSigningRequest): Name, Age, SignerName, Requestor, RequestedDuration, Condition.

import type { TablePrinter } from '../types.js';
import { humanDuration, translateTimestampSince } from '../duration.js';
import { list, rec, str, type Obj } from '../format.js';
import { ageColumn, col, nameColumn } from './columns.js';

/**
 * upstream's extractCSRStatus: Denied, else Approved, else Pending (in that precedence), then
 * `,Failed` with a Failed condition and `,Issued` once a certificate is written.
 */
export function csrConditionText(csr: Obj): string {
  let approved = false;
  let denied = false;
  let failed = false;
  for (const c of list(rec(csr['status'])['conditions'])) {
    const type = rec(c)['type'];
    if (type === 'Approved') approved = true;
    else if (type === 'Denied') denied = true;
    else if (type === 'Failed') failed = true;
  }
  let status = denied ? 'Denied' : approved ? 'Approved' : 'Pending';
  if (failed) status += ',Failed';
  if (str(rec(csr['status'])['certificate']) !== '') status += ',Issued';
  return status;
}

export const certificateSigningRequestPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    ageColumn(),
    col('SignerName', 'string', 'The signer the request is for.'),
    col('Requestor', 'string', 'The user that created the request.'),
    col('RequestedDuration', 'string', 'The validity the request asks for (expirationSeconds).'),
    col('Condition', 'string', 'Pending, Approved or Denied, then Failed and Issued.'),
  ],
  cells(csr: Obj, { now }) {
    const spec = rec(csr['spec']);
    const signerName = str(spec['signerName']) || '<none>';
    const seconds = spec['expirationSeconds'];
    const requested = typeof seconds === 'number' ? humanDuration(seconds * 1000) : '<none>';
    return [str(rec(csr['metadata'])['name']), translateTimestampSince(rec(csr['metadata'])['creationTimestamp'], now), signerName, str(spec['username']), requested, csrConditionText(csr)];
  },
};
