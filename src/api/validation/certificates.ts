// certificates.k8s.io/v1 CertificateSigningRequest: upstream's csrStrategy (PrepareForCreate,
// PrepareForUpdate of the object, of /status and of /approval) and validation
// (pkg/apis/certificates/validation: ValidateCertificateSigningRequest{Create,Update,
// StatusUpdate,ApprovalUpdate}), with their messages and field paths. Also the PEM and PKCS#10
// helpers the signer (controllers/certificates) and the subject admission share.
//
// Wire form: spec.request and status.certificate are Go []byte, base64 strings in JSON; these
// functions take the JSON object and decode them. The compatibility allowances of upstream's
// getValidationOptions (a stored object that already breaks a rule may keep breaking it) are kept.

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { fe, type FieldError } from '../errors.js';
import { isDNS1123Label, isDNS1123Subdomain } from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { arr, deepEqual, obj, str, type Obj } from './util.js';

export const KubeAPIServerClientSignerName = 'kubernetes.io/kube-apiserver-client';
export const KubeAPIServerClientKubeletSignerName = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KubeletServingSignerName = 'kubernetes.io/kubelet-serving';
export const LegacyUnknownSignerName = 'kubernetes.io/legacy-unknown';

/** Upstream's allValidUsages (KeyUsage values), sorted as sets.List() gives them. */
export const allValidUsages: readonly string[] = [
  'any', 'cert sign', 'client auth', 'code signing', 'content commitment', 'crl sign', 'data encipherment', 'decipher only',
  'digital signature', 'email protection', 'encipher only', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'key agreement',
  'key encipherment', 'microsoft sgc', 'netscape sgc', 'ocsp signing', 's/mime', 'server auth', 'signing', 'timestamping',
];
const validUsages = new Set(allValidUsages);

// ---------------------------------------------------------------------------------------------
// PEM and PKCS#10

export interface PemBlock {
  type: string;
  hasHeaders: boolean;
  bytes: Buffer;
}

const pemBlockRe = /-----BEGIN ([^\r\n]*?)-----\r?\n([\s\S]*?)-----END \1-----/g;

/**
 * The PEM blocks of `data` in order, as repeated calls of Go's pem.Decode find them: text
 * between blocks is skipped; a block whose body is not base64 is no block.
 */
export function decodePemBlocks(data: Buffer | string): PemBlock[] {
  const text = typeof data === 'string' ? data : data.toString('latin1');
  const out: PemBlock[] = [];
  for (const m of text.matchAll(pemBlockRe)) {
    let body = m[2] ?? '';
    let hasHeaders = false;
    // RFC 1421 headers: `Key: value` lines, then an empty line.
    const blank = /\r?\n\r?\n/.exec(body);
    if (blank && body.slice(0, blank.index).split(/\r?\n/).every((l) => l.includes(':'))) {
      hasHeaders = true;
      body = body.slice(blank.index + blank[0].length);
    }
    const b64 = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) continue;
    out.push({ type: m[1] ?? '', hasHeaders, bytes: Buffer.from(b64, 'base64') });
  }
  return out;
}

/** A []byte field of a JSON object (base64), or an empty buffer. */
export function bytesField(v: unknown): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.alloc(0);
}

interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  contentStart: number;
  end: number;
}

function readTlv(b: Uint8Array, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new Error('data truncated');
  const tag = b[pos]!;
  let len = b[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > limit) throw new Error('invalid length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i]!;
    p += n;
  }
  if (p + len > limit) throw new Error('data truncated');
  return { tag, start: pos, contentStart: p, end: p + len };
}

function children(b: Uint8Array, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = t.contentStart; p < t.end; ) {
    const c = readTlv(b, p, t.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

function oidText(b: Uint8Array, t: Tlv): string {
  const parts: number[] = [];
  let v = 0;
  for (let i = t.contentStart; i < t.end; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** Signature algorithms Go's CheckSignature verifies (RSA-PSS aside): OID -> [hash, key family]. */
const signatureAlgorithms: Record<string, [hash: string | null, family: 'RSA' | 'ECDSA' | 'Ed25519']> = {
  '1.2.840.113549.1.1.5': ['sha1', 'RSA'],
  '1.2.840.113549.1.1.11': ['sha256', 'RSA'],
  '1.2.840.113549.1.1.12': ['sha384', 'RSA'],
  '1.2.840.113549.1.1.13': ['sha512', 'RSA'],
  '1.2.840.10045.4.1': ['sha1', 'ECDSA'],
  '1.2.840.10045.4.3.2': ['sha256', 'ECDSA'],
  '1.2.840.10045.4.3.3': ['sha384', 'ECDSA'],
  '1.2.840.10045.4.3.4': ['sha512', 'ECDSA'],
  '1.3.101.112': [null, 'Ed25519'],
};

/**
 * Go's CertificateRequest.CheckSignature over the DER of a PKCS#10 request: undefined when the
 * signature verifies with the request's own public key, else Go's error text.
 */
export function checkCsrSignature(der: Uint8Array): string | undefined {
  let tbs: Tlv;
  let algOid: string;
  let sig: Uint8Array;
  let spki: Uint8Array;
  try {
    const outer = readTlv(der, 0, der.length);
    const [info, alg, bits] = children(der, outer);
    if (!info || !alg || !bits || bits.tag !== 0x03) throw new Error('malformed');
    tbs = info;
    const algParts = children(der, alg);
    if (!algParts[0] || algParts[0].tag !== 0x06) throw new Error('malformed');
    algOid = oidText(der, algParts[0]);
    sig = der.subarray(bits.contentStart + 1, bits.end);
    const infoParts = children(der, info);
    const pk = infoParts[2];
    if (!pk) throw new Error('malformed');
    spki = der.subarray(pk.start, pk.end);
  } catch {
    return 'x509: malformed certificate request';
  }
  const alg = signatureAlgorithms[algOid];
  if (!alg) return 'x509: cannot verify signature: algorithm unimplemented';
  const [hash, family] = alg;
  let ok = false;
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    const keyFamily = key.asymmetricKeyType === 'rsa' ? 'RSA' : key.asymmetricKeyType === 'ec' ? 'ECDSA' : key.asymmetricKeyType === 'ed25519' ? 'Ed25519' : undefined;
    if (keyFamily !== family) return 'x509: signature algorithm specifies an ' + family + ' public key, but have public key of type ' + (key.asymmetricKeyType ?? 'unknown');
    ok = cryptoVerify(hash, der.subarray(tbs.start, tbs.end), key, sig);
  } catch {
    ok = false;
  }
  if (ok) return undefined;
  return family === 'RSA' ? 'crypto/rsa: verification error' : `x509: ${family} verification failure`;
}

/**
 * Upstream's certificates.ParseCSR: the first PEM block must be a CERTIFICATE REQUEST, and it
 * must parse. Returns the request (and its DER), or the error text.
 */
export function parseCsrPem(pem: Buffer | string): { csr: x509.Pkcs10CertificateRequest; der: Buffer } | { error: string } {
  const block = decodePemBlocks(pem)[0];
  if (!block || block.type !== 'CERTIFICATE REQUEST') return { error: 'PEM block type must be CERTIFICATE REQUEST' };
  try {
    return { csr: new x509.Pkcs10CertificateRequest(block.bytes), der: block.bytes };
  } catch {
    return { error: 'x509: malformed certificate request' };
  }
}

/** The subject and subject alternative names of a parsed request, as Go's x509.CertificateRequest has them. */
export interface CsrNames {
  commonName: string;
  organizations: string[];
  dnsNames: string[];
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
}

export function csrNames(csr: x509.Pkcs10CertificateRequest): CsrNames {
  const cns = csr.subjectName.getField('CN');
  const out: CsrNames = { commonName: cns[cns.length - 1] ?? '', organizations: csr.subjectName.getField('O'), dnsNames: [], ipAddresses: [], emailAddresses: [], uris: [] };
  for (const ext of csr.extensions) {
    if (ext.type !== x509.SubjectAlternativeNameExtension.NAME && ext.type !== '2.5.29.17') continue;
    const san = new x509.SubjectAlternativeNameExtension(ext.rawData);
    for (const n of san.names.items) {
      if (n.type === 'dns') out.dnsNames.push(n.value);
      else if (n.type === 'ip') out.ipAddresses.push(n.value);
      else if (n.type === 'email') out.emailAddresses.push(n.value);
      else if (n.type === 'url') out.uris.push(n.value);
    }
  }
  return out;
}

function validateCsrRequest(request: unknown): string | undefined {
  const parsed = parseCsrPem(bytesField(request));
  if ('error' in parsed) return parsed.error;
  return checkCsrSignature(parsed.der);
}

/** Upstream's validateCertificate: empty, or only CERTIFICATE blocks without headers that parse. */
export function validateCertificatePem(pem: Buffer): string | undefined {
  if (pem.length === 0) return undefined;
  const blocks = decodePemBlocks(pem);
  for (const block of blocks) {
    if (block.type !== 'CERTIFICATE') return `only CERTIFICATE PEM blocks are allowed, found ${JSON.stringify(block.type)}`;
    if (block.hasHeaders) return 'no PEM block headers are permitted';
    try {
      new x509.X509Certificate(block.bytes);
    } catch {
      return 'x509: malformed certificate';
    }
  }
  if (blocks.length === 0) return 'must contain at least one CERTIFICATE PEM block';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Validation

/** apivalidation.ValidateSignerName. */
export function validateSignerName(path: string, signerName: string): FieldError[] {
  if (signerName === '') return [fe.required(path)];
  const errs: FieldError[] = [];
  const segments = signerName.split('/');
  if (segments.length !== 2) return [fe.invalid(path, signerName, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const [domain, rest] = segments as [string, string];
  if (domain.length > 253) errs.push(fe.tooLong(path, 253));
  const domainLabels = domain.split('.');
  for (const lbl of domainLabels) {
    const msgs = isDNS1123Label(lbl);
    if (msgs.length > 0) {
      for (const m of msgs) errs.push(fe.invalid(path, domain, `validating label ${JSON.stringify(lbl)}: ${m}`));
      break;
    }
  }
  if (domainLabels.length < 2) errs.push(fe.invalid(path, domain, 'should be a domain with at least two segments separated by dots'));
  for (const lbl of rest.split('.')) {
    const msgs = isDNS1123Subdomain(lbl);
    if (msgs.length > 0) {
      for (const m of msgs) errs.push(fe.invalid(path, rest, `validating label ${JSON.stringify(lbl)}: ${m}`));
      break;
    }
  }
  const maxSignerNameLength = 253 + (253 + 63 + 1) + 1;
  if (signerName.length > maxSignerNameLength) errs.push(fe.tooLong(path, maxSignerNameLength));
  return errs;
}

interface Options {
  allowSettingApprovalConditions: boolean;
  allowSettingCertificate: boolean;
  allowBothApprovedAndDenied: boolean;
  allowLegacySignerName: boolean;
  allowDuplicateConditionTypes: boolean;
  allowEmptyConditionType: boolean;
  allowArbitraryCertificate: boolean;
  allowUnknownUsages: boolean;
  allowDuplicateUsages: boolean;
}

const specOf = (o: Obj): Obj => obj(o.spec) ?? {};
const statusOf = (o: Obj): Obj => obj(o.status) ?? {};
const conditionsOf = (o: Obj): Obj[] => arr(statusOf(o).conditions).map((c) => obj(c) ?? {});
const usagesOf = (o: Obj): string[] => arr(specOf(o).usages).map((u) => (typeof u === 'string' ? u : String(u)));
const certificateOf = (o: Obj): string => str(statusOf(o).certificate) ?? '';

/** upstream's getValidationOptions: what a stored object already breaking a rule may keep. */
function optionsFor(next: Obj, old: Obj | undefined): Options {
  const types = old ? conditionsOf(old).map((c) => str(c.type) ?? '') : [];
  const oldCert = old ? certificateOf(old) : '';
  return {
    allowSettingApprovalConditions: false,
    allowSettingCertificate: false,
    allowBothApprovedAndDenied: types.includes('Approved') && types.includes('Denied'),
    allowLegacySignerName: old !== undefined && str(specOf(old).signerName) === LegacyUnknownSignerName,
    allowDuplicateConditionTypes: new Set(types).size !== types.length,
    allowEmptyConditionType: types.includes(''),
    allowArbitraryCertificate:
      old !== undefined && (certificateOf(next) === oldCert || validateCertificatePem(bytesField(oldCert)) !== undefined),
    allowUnknownUsages: old !== undefined && usagesOf(old).some((u) => !validUsages.has(u)),
    allowDuplicateUsages: old !== undefined && new Set(usagesOf(old)).size !== usagesOf(old).length,
  };
}

const trueConditionTypes = new Set(['Approved', 'Denied', 'Failed']);

function validateConditionList(csr: Obj, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let hasApproved = false;
  let hasDenied = false;
  conditionsOf(csr).forEach((c, i) => {
    const p = `status.conditions[${i}]`;
    const type = str(c.type) ?? '';
    const status = str(c.status) ?? '';
    if (!opts.allowEmptyConditionType && type === '') errs.push(fe.required(`${p}.type`));
    const allowed = trueConditionTypes.has(type) ? ['True'] : ['False', 'True', 'Unknown'];
    if (status === '') errs.push(fe.required(`${p}.status`));
    else if (!allowed.includes(status)) errs.push(fe.notSupported(`${p}.status`, status, allowed));
    if (!opts.allowBothApprovedAndDenied) {
      if (type === 'Approved') {
        hasApproved = true;
        if (hasDenied) errs.push(fe.invalid(`${p}.type`, type, 'Approved and Denied conditions are mutually exclusive'));
      } else if (type === 'Denied') {
        hasDenied = true;
        if (hasApproved) errs.push(fe.invalid(`${p}.type`, type, 'Approved and Denied conditions are mutually exclusive'));
      }
    }
    if (!opts.allowDuplicateConditionTypes) {
      if (seen.has(type)) errs.push(fe.duplicate(`${p}.type`, type));
      seen.add(type);
    }
  });
  return errs;
}

function validateCsr(csr: Obj, opts: Options): FieldError[] {
  const errs = validateObjectMeta(csr.metadata, false, () => []);
  const spec = specOf(csr);
  const requestError = validateCsrRequest(spec.request);
  if (requestError !== undefined) errs.push(fe.invalid('spec.request', spec.request ?? '', requestError));
  const usages = usagesOf(csr);
  if (usages.length === 0) errs.push(fe.required('spec.usages'));
  if (!opts.allowUnknownUsages) {
    usages.forEach((u, i) => {
      if (!validUsages.has(u)) errs.push(fe.notSupported(`spec.usages[${i}]`, u, [...allValidUsages]));
    });
  }
  if (!opts.allowDuplicateUsages) {
    const seen = new Set<string>();
    usages.forEach((u, i) => {
      if (seen.has(u)) errs.push(fe.duplicate(`spec.usages[${i}]`, u));
      seen.add(u);
    });
  }
  const signerName = str(spec.signerName) ?? '';
  if (!opts.allowLegacySignerName && signerName === LegacyUnknownSignerName) {
    errs.push(fe.invalid('spec.signerName', signerName, 'the legacy signerName is not allowed via this API version'));
  } else {
    errs.push(...validateSignerName('spec.signerName', signerName));
  }
  const expiration = spec.expirationSeconds;
  if (typeof expiration === 'number' && expiration < 600) {
    errs.push(fe.invalid('spec.expirationSeconds', expiration, 'may not specify a duration less than 600 seconds (10 minutes)'));
  }
  errs.push(...validateConditionList(csr, opts));
  if (!opts.allowArbitraryCertificate) {
    const certError = validateCertificatePem(bytesField(statusOf(csr).certificate));
    if (certError !== undefined) errs.push(fe.invalid('status.certificate', '<certificate data>', certError));
  }
  return errs;
}

const conditionsOfType = (csr: Obj, type: string): Obj[] => conditionsOf(csr).filter((c) => c.type === type);

function validateCsrUpdate(next: Obj, old: Obj, opts: Options): FieldError[] {
  const errs = validateCsr(next, opts);
  for (const t of ['Approved', 'Denied', 'Failed']) {
    if (conditionsOfType(next, t).length < conditionsOfType(old, t).length) {
      errs.push(fe.forbidden('status.conditions', `updates may not remove a condition of type ${JSON.stringify(t)}`));
    }
  }
  if (!opts.allowSettingApprovalConditions) {
    for (const t of ['Approved', 'Denied']) {
      const was = conditionsOfType(old, t);
      const now = conditionsOfType(next, t);
      if (now.length > was.length) errs.push(fe.forbidden('status.conditions', `updates may not add a condition of type ${JSON.stringify(t)}`));
      else if (now.length === was.length && !deepEqual(was, now)) errs.push(fe.forbidden('status.conditions', `updates may not modify a condition of type ${JSON.stringify(t)}`));
    }
  }
  const oldCert = certificateOf(old);
  if (certificateOf(next) !== oldCert) {
    if (!opts.allowSettingCertificate) errs.push(fe.forbidden('status.certificate', 'updates may not set certificate content'));
    else if (oldCert !== '') errs.push(fe.forbidden('status.certificate', 'updates may not modify existing certificate content'));
  }
  return [...errs, ...validateObjectMetaUpdate(next.metadata, old.metadata)];
}

/** ValidateCertificateSigningRequestCreate. */
export function validateCertificateSigningRequest(csr: Obj): FieldError[] {
  return validateCsr(csr, optionsFor(csr, undefined));
}

/** ValidateCertificateSigningRequestUpdate (the object itself: spec and status are the stored ones). */
export function validateCertificateSigningRequestUpdate(csr: Obj, old: Obj): FieldError[] {
  return validateCsrUpdate(csr, old, optionsFor(csr, old));
}

/** ValidateCertificateSigningRequestStatusUpdate: may set status.certificate once, and other conditions. */
export function validateCertificateSigningRequestStatusUpdate(csr: Obj, old: Obj): FieldError[] {
  return validateCsrUpdate(csr, old, { ...optionsFor(csr, old), allowSettingCertificate: true });
}

/** ValidateCertificateSigningRequestApprovalUpdate: may add or change the Approved/Denied conditions. */
export function validateCertificateSigningRequestApprovalUpdate(csr: Obj, old: Obj): FieldError[] {
  return validateCsrUpdate(csr, old, { ...optionsFor(csr, old), allowSettingApprovalConditions: true });
}

// ---------------------------------------------------------------------------------------------
// Strategy

/**
 * csrStrategy.PrepareForCreate, the part without a request context: the requester fields are
 * cleared (the API server writes the requesting user's afterwards, see
 * apiserver/certificates-admission.ts); status is emptied by the kind's statusOnCreate.
 */
export function prepareCertificateSigningRequestForCreate(csr: Obj): void {
  const spec = obj(csr.spec);
  if (!spec) return;
  delete spec.username;
  delete spec.uid;
  delete spec.groups;
  delete spec.extra;
}

/** csrStrategy.PrepareForUpdate: spec (and, by the registry, status) are the stored ones. */
export function prepareCertificateSigningRequestForUpdate(csr: Obj, old: Obj): void {
  if (old.spec === undefined) delete csr.spec;
  else csr.spec = structuredClone(old.spec);
}

/**
 * populateConditionTimestamps: a condition without lastUpdateTime gets `now`; one without
 * lastTransitionTime keeps the stored one of a condition of its type and status, else `now`.
 */
function populateConditionTimestamps(conditions: Obj[], old: Obj, now: string): Obj[] {
  const was = conditionsOf(old);
  return conditions.map((c) => {
    const out = { ...c };
    if (!out.lastUpdateTime) out.lastUpdateTime = now;
    if (!out.lastTransitionTime) {
      const same = was.find((o) => o.type === out.type && o.status === out.status && o.lastTransitionTime);
      out.lastTransitionTime = same ? same.lastTransitionTime : now;
    }
    return out;
  });
}

function withConditions(status: Obj, conditions: Obj[]): Obj {
  const out = { ...status };
  if (conditions.length > 0) out.conditions = conditions;
  else delete out.conditions;
  return out;
}

/**
 * csrStatusStrategy.PrepareForUpdate on the object the status strategy produced (stored spec,
 * the body's status): the stored Approved and Denied conditions are kept where the body has as
 * many of them (adding or removing one is refused by validation), and timestamps are populated.
 */
export function prepareCertificateSigningRequestForStatusUpdate(csr: Obj, old: Obj, now: string): void {
  const conditions = conditionsOf(csr).map((c) => ({ ...c }));
  for (const t of ['Approved', 'Denied']) {
    const oldIdx = conditionsOf(old).flatMap((c, i) => (c.type === t ? [i] : []));
    const newIdx = conditions.flatMap((c, i) => (c.type === t ? [i] : []));
    if (oldIdx.length !== newIdx.length) continue;
    newIdx.forEach((ni, k) => (conditions[ni] = { ...conditionsOf(old)[oldIdx[k]!]! }));
  }
  if (csr.spec !== undefined || old.spec !== undefined) csr.spec = structuredClone(old.spec);
  csr.status = withConditions(statusOf(csr), populateConditionTimestamps(conditions, old, now));
}

/**
 * csrApprovalStrategy.PrepareForUpdate: the stored object with the body's conditions (timestamps
 * populated) and metadata; spec and status.certificate stay the stored ones.
 */
export function prepareCertificateSigningRequestForApprovalUpdate(csr: Obj, old: Obj, now: string): void {
  const conditions = populateConditionTimestamps(conditionsOf(csr), old, now);
  if (old.spec === undefined) delete csr.spec;
  else csr.spec = structuredClone(old.spec);
  csr.status = withConditions(structuredClone(statusOf(old)), conditions);
}
