import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { fieldErrorString, type FieldError } from '../errors.js';
import {
  checkCsrSignature,
  decodePemBlocks,
  parseCsrPem,
  prepareCertificateSigningRequestForApprovalUpdate,
  prepareCertificateSigningRequestForStatusUpdate,
  validateCertificatePem,
  validateCertificateSigningRequest,
  validateCertificateSigningRequestApprovalUpdate,
  validateCertificateSigningRequestStatusUpdate,
  validateCertificateSigningRequestUpdate,
  validateSignerName,
} from './certificates.js';

type Obj = Record<string, any>;
const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
let csrPem = '';
let certPem = '';

beforeAll(async () => {
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const alg = { name: 'ECDSA', hash: 'SHA-256' };
  csrPem = (await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=alice, O=devs', keys, signingAlgorithm: alg })).toString('pem') + '\n';
  certPem = (await x509.X509CertificateGenerator.createSelfSigned({ name: 'CN=ca', keys, signingAlgorithm: alg })).toString('pem') + '\n';
});

function csr(spec: Obj = {}, status?: Obj): Obj {
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: 'x' },
    spec: { request: b64(csrPem), signerName: 'example.com/signer', usages: ['client auth'], ...spec },
    ...(status ? { status } : {}),
  };
}
const strings = (errs: FieldError[]): string[] => errs.map(fieldErrorString);

describe('CertificateSigningRequest validation', () => {
  it('accepts a well-formed request', () => {
    expect(validateCertificateSigningRequest(csr())).toEqual([]);
  });

  it('refuses a request that is no CERTIFICATE REQUEST PEM, or whose signature does not verify', () => {
    expect(strings(validateCertificateSigningRequest(csr({ request: b64('hello') })))).toEqual([`spec.request: Invalid value: "${b64('hello')}": PEM block type must be CERTIFICATE REQUEST`]);
    const asCert = certPem;
    expect(strings(validateCertificateSigningRequest(csr({ request: b64(asCert) })))[0]).toContain('PEM block type must be CERTIFICATE REQUEST');
    // One flipped byte of the signature.
    const der = Buffer.from(decodePemBlocks(csrPem)[0]!.bytes);
    der[der.length - 3] = der[der.length - 3]! ^ 0xff;
    expect(checkCsrSignature(der)).toBe('x509: ECDSA verification failure');
    const tampered = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    expect(strings(validateCertificateSigningRequest(csr({ request: b64(tampered) })))).toEqual([`spec.request: Invalid value: "${b64(tampered)}": x509: ECDSA verification failure`]);
  });

  it('requires usages from the allowed set without duplicates', () => {
    expect(strings(validateCertificateSigningRequest(csr({ usages: [] })))).toEqual(['spec.usages: Required value']);
    const errs = validateCertificateSigningRequest(csr({ usages: ['client auth', 'flying', 'client auth'] }));
    expect(errs.map((e) => [e.type, e.field])).toEqual([
      ['FieldValueNotSupported', 'spec.usages[1]'],
      ['FieldValueDuplicate', 'spec.usages[2]'],
    ]);
    expect(errs[0]!.detail).toContain('"client auth", "code signing"');
  });

  it("validates signerName as upstream's ValidateSignerName", () => {
    expect(strings(validateSignerName('spec.signerName', ''))).toEqual(['spec.signerName: Required value']);
    expect(strings(validateSignerName('spec.signerName', 'a/b/c'))).toEqual(["spec.signerName: Invalid value: \"a/b/c\": must be a fully qualified domain and path of the form 'example.com/signer-name'"]);
    expect(strings(validateSignerName('spec.signerName', 'example/signer'))).toEqual(['spec.signerName: Invalid value: "example": should be a domain with at least two segments separated by dots']);
    expect(strings(validateSignerName('spec.signerName', 'Example.com/x'))[0]).toMatch(/^spec.signerName: Invalid value: "Example.com": validating label "Example": a lowercase RFC 1123 label/);
    expect(validateSignerName('spec.signerName', 'example.com/a.b-c')).toEqual([]);
    expect(strings(validateCertificateSigningRequest(csr({ signerName: 'kubernetes.io/legacy-unknown' })))).toEqual(['spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version']);
  });

  it('needs expirationSeconds of at least 600', () => {
    expect(validateCertificateSigningRequest(csr({ expirationSeconds: 600 }))).toEqual([]);
    expect(strings(validateCertificateSigningRequest(csr({ expirationSeconds: 599 })))).toEqual(['spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)']);
  });

  it('checks conditions: status True for Approved/Denied/Failed, no duplicates, not both Approved and Denied', () => {
    const errs = strings(
      validateCertificateSigningRequest(
        csr({}, { conditions: [{ type: 'Approved', status: 'False' }, { type: 'Denied', status: 'True' }, { type: 'Denied', status: 'True' }, { type: '', status: '' }, { type: 'Custom', status: 'Maybe' }] }),
      ),
    );
    expect(errs).toEqual([
      'status.conditions[0].status: Unsupported value: "False": supported values: "True"',
      'status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive',
      'status.conditions[2].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive',
      'status.conditions[2].type: Duplicate value: "Denied"',
      'status.conditions[3].type: Required value',
      'status.conditions[3].status: Required value',
      'status.conditions[4].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
    ]);
  });

  it('checks status.certificate PEM', () => {
    expect(validateCertificatePem(Buffer.from(certPem))).toBeUndefined();
    expect(validateCertificatePem(Buffer.from('junk'))).toBe('must contain at least one CERTIFICATE PEM block');
    expect(validateCertificatePem(Buffer.from(csrPem))).toBe('only CERTIFICATE PEM blocks are allowed, found "CERTIFICATE REQUEST"');
    const withHeaders = certPem.replace('-----BEGIN CERTIFICATE-----\n', '-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\n');
    expect(validateCertificatePem(Buffer.from(withHeaders))).toBe('no PEM block headers are permitted');
    const old = csr();
    const next = csr({}, { certificate: b64('junk') });
    expect(strings(validateCertificateSigningRequestStatusUpdate(next, old))).toEqual(['status.certificate: Invalid value: "<certificate data>": must contain at least one CERTIFICATE PEM block']);
  });

  it('limits what each update path may change', () => {
    const old = csr({}, { conditions: [{ type: 'Approved', status: 'True', reason: 'r' }] });
    const withCert = csr({}, { conditions: [{ type: 'Approved', status: 'True', reason: 'r' }], certificate: b64(certPem) });
    // The object itself: no certificate, no new approval.
    expect(strings(validateCertificateSigningRequestUpdate(withCert, old))).toEqual(['status.certificate: Forbidden: updates may not set certificate content']);
    // /status: the certificate once, never the approval conditions.
    expect(validateCertificateSigningRequestStatusUpdate(withCert, old)).toEqual([]);
    const replaced = csr({}, { conditions: [{ type: 'Approved', status: 'True', reason: 'r' }], certificate: b64(certPem + certPem) });
    expect(strings(validateCertificateSigningRequestStatusUpdate(replaced, withCert))).toEqual(['status.certificate: Forbidden: updates may not modify existing certificate content']);
    const changedApproval = csr({}, { conditions: [{ type: 'Approved', status: 'True', reason: 'other' }] });
    expect(strings(validateCertificateSigningRequestStatusUpdate(changedApproval, old))).toEqual(['status.conditions: Forbidden: updates may not modify a condition of type "Approved"']);
    const removed = csr({}, {});
    expect(strings(validateCertificateSigningRequestApprovalUpdate(removed, old))).toEqual(['status.conditions: Forbidden: updates may not remove a condition of type "Approved"']);
    // /approval: Approved/Denied may change.
    expect(validateCertificateSigningRequestApprovalUpdate(changedApproval, old)).toEqual([]);
  });

  it('tolerates what the stored object already breaks (upstream compatibility options)', () => {
    const stored = csr({ usages: ['client auth', 'client auth'] }, { conditions: [{ type: 'Approved', status: 'True' }, { type: 'Denied', status: 'True' }] });
    expect(validateCertificateSigningRequestUpdate(structuredClone(stored), stored)).toEqual([]);
  });
});

describe('CertificateSigningRequest strategy', () => {
  it('/approval keeps spec and certificate, takes the conditions and fills their times', () => {
    const old = csr({}, { certificate: b64(certPem), conditions: [{ type: 'Failed', status: 'True', lastUpdateTime: '2020-01-01T00:00:00Z', lastTransitionTime: '2020-01-01T00:00:00Z' }] });
    const next = csr({ signerName: 'evil.com/x' }, { certificate: b64('x'), conditions: [{ type: 'Failed', status: 'True' }, { type: 'Approved', status: 'True' }] });
    prepareCertificateSigningRequestForApprovalUpdate(next, old, '2024-05-05T05:05:05Z');
    expect(next.spec.signerName).toBe('example.com/signer');
    expect(next.status.certificate).toBe(b64(certPem));
    expect(next.status.conditions).toEqual([
      { type: 'Failed', status: 'True', lastUpdateTime: '2024-05-05T05:05:05Z', lastTransitionTime: '2020-01-01T00:00:00Z' },
      { type: 'Approved', status: 'True', lastUpdateTime: '2024-05-05T05:05:05Z', lastTransitionTime: '2024-05-05T05:05:05Z' },
    ]);
  });

  it('/status keeps the stored Approved condition where the body has one', () => {
    const approved = { type: 'Approved', status: 'True', reason: 'Stored', lastUpdateTime: '2020-01-01T00:00:00Z', lastTransitionTime: '2020-01-01T00:00:00Z' };
    const old = csr({}, { conditions: [approved] });
    const next = csr({}, { conditions: [{ type: 'Approved', status: 'True', reason: 'Rewritten' }], certificate: b64(certPem) });
    prepareCertificateSigningRequestForStatusUpdate(next, old, '2024-05-05T05:05:05Z');
    expect(next.status.conditions).toEqual([approved]);
    expect(validateCertificateSigningRequestStatusUpdate(next, old)).toEqual([]);
  });

  it('parses the subject of a request', () => {
    const parsed = parseCsrPem(csrPem);
    expect('csr' in parsed && parsed.csr.subjectName.getField('O')).toEqual(['devs']);
  });
});
