// The cluster PKI, kept under `<dataDir>/tls/`: the cluster CA, which signs the API server's
// serving certificate and every client certificate (admin, nodes), and the node serving CA,
// which signs only the agents' serving certificates.
//
// Why two: an agent's serving certificate names addresses the node itself reports, which the
// server cannot verify. Signed by the cluster CA, which kubeconfigs and agents trust for the API
// server, it would let a node pose as the API server on any address it claims. Only the API
// server trusts the node serving CA (to reach agents, pinning the node's name).
//
// Contract:
// - `ensurePki` is idempotent: the first call creates the CA (ECDSA P-256, 10 years) and the
//   serving certificate; later calls reuse both, and re-issue only the serving certificate
//   when it lacks a requested name, it expires within 30 days, it is not signed by the CA on
//   disk, or a file is missing. Names only go: a re-issued certificate keeps every name of the
//   one it replaces (signed by the same CA), so a restart without an earlier `--tls-san` does not
//   cut off the agents that reach the server by it; deleting tls/server.crt starts afresh.
// - The node serving CA is created by the first call that finds it missing (data dirs of
//   earlier versions get it at their next start) and reused afterwards.
// - Files: tls/ca.crt, tls/ca.key, tls/server.crt, tls/server.key, tls/node-serving-ca.crt,
//   tls/node-serving-ca.key. Private keys are PKCS#8
//   PEM with mode 0600; the tls directory has mode 0700. Writes are atomic (tmp + rename).
// - `tlsOptions.cert` is the serving certificate followed by the CA certificate, so a client
//   that does not yet trust the CA can read the CA from the handshake and compare its hash
//   (join flow, see join.ts) before it sends any secret.
// - All X.509 encoding is done by @peculiar/x509 over Node's WebCrypto.

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

const crypto = webcrypto;
x509.cryptoProvider.set(crypto as never);

const keyAlgorithm: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const signingAlgorithm: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 24 * 60 * 60 * 1000;
export const CA_VALIDITY_DAYS = 3650;
export const SERVING_VALIDITY_DAYS = 365;
/** The serving certificate is re-issued when it expires within this many days. */
export const RENEW_BEFORE_DAYS = 30;

/** Names always present in the serving certificate, besides the listen address. */
export const DEFAULT_SANS = ['localhost', '127.0.0.1', '::1'];

export interface Pki {
  dir: string;
  caCertPem: string;
  /** The CA private key (PKCS#8 PEM). Never send it anywhere. */
  caKeyPem: string;
  /** The serving certificate alone. */
  servingCertPem: string;
  servingKeyPem: string;
  /** Options ready for `https.createServer(tlsOptions, handler)`. */
  tlsOptions: { key: string; cert: string; ca: string; requestCert: true; rejectUnauthorized: false };
  /** The SANs of the serving certificate, as requested (normalized, deduplicated). */
  sans: string[];
  /** True when this call (re-)issued the serving certificate. */
  servingIssued: boolean;
  /** True when this call created the CA. */
  caCreated: boolean;
  caKey: CryptoKey;
  caCert: x509.X509Certificate;
  /** The CA of agents' serving certificates (trusted by the API server only). */
  nodeServingCaCertPem: string;
  nodeServingCaCert: x509.X509Certificate;
  nodeServingCaKey: CryptoKey;
}

export interface EnsurePkiOptions {
  /** Listen address and any `--tls-san`; IP or DNS decided by syntax. Unspecified addresses (0.0.0.0, ::) are skipped. */
  sans?: string[];
  now?: Date;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function toPem(der: ArrayBuffer, label: string): string {
  return x509.PemConverter.encode(der, label) + '\n';
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  return toPem(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return crypto.subtle.importKey('pkcs8', der, keyAlgorithm, true, ['sign']);
}

/**
 * What `parse` makes of the file at `path`; a file that does not parse throws one line naming
 * it (a corrupt CA or key file must not read as a bare decoder error).
 */
async function parseFile<T>(path: string, what: string, parse: () => T | Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (e) {
    throw new Error(`${path}: not a valid ${what} (${e instanceof Error ? e.message : String(e)}); restore the data dir from a backup (everynode restore)`);
  }
}

/** Whether the serving key parses and is the private half of the serving certificate's key. */
function servingKeyFits(keyPem: string, certPem: string): boolean {
  try {
    const cert = new x509.X509Certificate(certPem);
    const spki = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    return Buffer.from(cert.publicKey.rawData).equals(spki);
  } catch {
    return false;
  }
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
}

function randomSerial(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] = b[0]! & 0x7f; // positive INTEGER
  if (b[0] === 0) b[0] = 1;
  return Buffer.from(b).toString('hex');
}

import { ensurePrivateDir, writeFileAtomic } from './files.js';
export { ensurePrivateDir, writeFileAtomic };

function stripBrackets(s: string): string {
  return s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
}

/** Normalized SAN list: defaults + extras, brackets stripped, unspecified addresses dropped, deduplicated, stable order. */
export function normalizeSans(extra: string[] = []): string[] {
  const out: string[] = [];
  for (const raw of [...DEFAULT_SANS, ...extra]) {
    const s = stripBrackets(raw.trim());
    if (!s || s === '0.0.0.0' || s === '::') continue;
    // One spelling per address (IPv6 as the URL parser writes it), so a name read back from a
    // certificate equals the one asked for.
    const v = isIP(s) === 6 ? canonicalIPv6(s) : isIP(s) ? s : s.toLowerCase();
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

/** An IPv6 address as the URL parser writes it (lower case, zeros compressed); as given when it cannot (a zone id). */
function canonicalIPv6(s: string): string {
  try {
    return new URL(`http://[${s}]`).hostname.slice(1, -1);
  } catch {
    return s;
  }
}

function sanExtension(sans: string[]): x509.SubjectAlternativeNameExtension {
  return new x509.SubjectAlternativeNameExtension(sans.map((s) => ({ type: isIP(s) ? 'ip' : 'dns', value: s })));
}

/** Canonical text of a SAN set as the library decodes it, so textual IPv6 variants compare equal. */
function sanKey(ext: x509.SubjectAlternativeNameExtension): string {
  const parsed = new x509.SubjectAlternativeNameExtension(ext.rawData);
  return parsed.names.items
    .map((n) => `${n.type}:${n.value}`)
    .sort()
    .join(',');
}

/** sha256 hex of the CA certificate's DER (the hash carried in join tokens). */
export function caHash(pki: Pick<Pki, 'caCertPem'> | string): string {
  const pem = typeof pki === 'string' ? pki : pki.caCertPem;
  return createHash('sha256').update(Buffer.from(x509.PemConverter.decodeFirst(pem))).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Issuing

async function createCa(now: Date, name = 'everynode-ca'): Promise<{ cert: x509.X509Certificate; keys: CryptoKeyPair }> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [`${name}@${Math.floor(now.getTime() / 1000)}`] }],
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    keys,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

/**
 * Leaf certificates start this long before they are issued, for clocks a little behind the
 * issuer's. Revocation relies on it: see issuedAtOf.
 */
const LEAF_BACKDATE_MS = 60_000;

/** When a leaf certificate of this PKI was issued, to the second, from its notBefore (ms). */
export function issuedAtOf(notBeforeMs: number): number {
  return notBeforeMs + LEAF_BACKDATE_MS;
}

interface LeafParams {
  subject: x509.JsonName;
  days: number;
  usage: 'server' | 'client';
  sans?: string[];
  now?: Date;
}

async function issueLeaf(ca: { caCert: x509.X509Certificate; caKey: CryptoKey }, p: LeafParams): Promise<{ certPem: string; keyPem: string }> {
  const now = p.now ?? new Date();
  const keys = await generateKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([p.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.caCert),
  ];
  if (p.sans) extensions.push(sanExtension(p.sans));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: p.subject,
    issuer: ca.caCert.subjectName,
    notBefore: new Date(now.getTime() - LEAF_BACKDATE_MS),
    notAfter: new Date(now.getTime() + p.days * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: ca.caKey,
    signingAlgorithm,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
}

export interface ClientCertRequest {
  /** Becomes the user name (CN). */
  commonName: string;
  /** Become the groups (one O attribute each). */
  organizations: string[];
  days: number;
  now?: Date;
}

/** Issues a client certificate signed by the cluster CA: CN = user, O = groups, as Kubernetes reads them. */
export async function issueClientCert(pki: Pick<Pki, 'caCert' | 'caKey'>, req: ClientCertRequest): Promise<{ certPem: string; keyPem: string }> {
  const subject: x509.JsonName = [{ CN: [req.commonName] }, ...req.organizations.map((o) => ({ O: [o] }))];
  return issueLeaf(pki, { subject, days: req.days, usage: 'client', ...(req.now ? { now: req.now } : {}) });
}

/**
 * Issues an agent's serving certificate (its HTTPS endpoint), signed by the node serving CA:
 * CN/O as given, SANs by syntax.
 */
export async function issueServingCert(
  pki: Pick<Pki, 'nodeServingCaCert' | 'nodeServingCaKey'>,
  req: { commonName: string; organizations: string[]; sans: string[]; days: number; now?: Date },
): Promise<{ certPem: string; keyPem: string }> {
  const subject: x509.JsonName = [{ CN: [req.commonName] }, ...req.organizations.map((o) => ({ O: [o] }))];
  const sans = req.sans.map((s) => stripBrackets(s.trim())).filter((s) => s !== '');
  return issueLeaf({ caCert: pki.nodeServingCaCert, caKey: pki.nodeServingCaKey }, { subject, days: req.days, usage: 'server', ...(sans.length ? { sans } : {}), ...(req.now ? { now: req.now } : {}) });
}

// ---------------------------------------------------------------------------------------------
// ensurePki

function servingNeedsReissue(certPem: string, ca: x509.X509Certificate, sans: string[], now: Date): Promise<boolean> {
  return (async () => {
    let cert: x509.X509Certificate;
    try {
      cert = new x509.X509Certificate(certPem);
    } catch {
      return true;
    }
    if (cert.notAfter.getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) return true;
    if (cert.issuer !== ca.subject) return true;
    if (!(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }))) return true;
    const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
    if (!ext) return true;
    return sanKey(ext) !== sanKey(sanExtension(sans));
  })();
}

/**
 * The DNS names and IPs of a serving certificate signed by `ca` (what a re-issue keeps); none
 * for a certificate that does not parse or that another CA signed.
 */
async function namesOfServingCert(certPem: string, ca: x509.X509Certificate): Promise<string[]> {
  try {
    const cert = new x509.X509Certificate(certPem);
    if (cert.issuer !== ca.subject || !(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }))) return [];
    const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
    if (!ext) return [];
    return new x509.SubjectAlternativeNameExtension(ext.rawData).names.items.filter((n) => n.type === 'dns' || n.type === 'ip').map((n) => n.value);
  } catch {
    return [];
  }
}

/** Creates or reuses the PKI under `<dataDir>/tls/`. See the file comment for the contract. */
export async function ensurePki(dataDir: string, opts: EnsurePkiOptions = {}): Promise<Pki> {
  const now = opts.now ?? new Date();
  const dir = join(dataDir, 'tls');
  ensurePrivateDir(dir);
  const caCertPath = join(dir, 'ca.crt');
  const caKeyPath = join(dir, 'ca.key');
  const certPath = join(dir, 'server.crt');
  const keyPath = join(dir, 'server.key');

  let caCertPem: string;
  let caKeyPem: string;
  let caCreated = false;
  if (existsSync(caCertPath) && existsSync(caKeyPath)) {
    caCertPem = readFileSync(caCertPath, 'utf8');
    caKeyPem = readFileSync(caKeyPath, 'utf8');
    chmodSync(caKeyPath, 0o600);
  } else {
    const ca = await createCa(now);
    caCertPem = ca.cert.toString('pem') + '\n';
    caKeyPem = await exportKeyPem(ca.keys.privateKey);
    writeFileAtomic(caKeyPath, caKeyPem, 0o600);
    writeFileAtomic(caCertPath, caCertPem, 0o644);
    caCreated = true;
  }
  const caCert = await parseFile(caCertPath, 'PEM certificate', () => new x509.X509Certificate(caCertPem));
  const caKey = await parseFile(caKeyPath, 'PEM PKCS#8 private key', () => importKeyPem(caKeyPem));

  const nodeCaCertPath = join(dir, 'node-serving-ca.crt');
  const nodeCaKeyPath = join(dir, 'node-serving-ca.key');
  let nodeServingCaCertPem: string;
  let nodeServingCaKeyPem: string;
  if (existsSync(nodeCaCertPath) && existsSync(nodeCaKeyPath)) {
    nodeServingCaCertPem = readFileSync(nodeCaCertPath, 'utf8');
    nodeServingCaKeyPem = readFileSync(nodeCaKeyPath, 'utf8');
    chmodSync(nodeCaKeyPath, 0o600);
  } else {
    const nodeCa = await createCa(now, 'everynode-node-serving-ca');
    nodeServingCaCertPem = nodeCa.cert.toString('pem') + '\n';
    nodeServingCaKeyPem = await exportKeyPem(nodeCa.keys.privateKey);
    writeFileAtomic(nodeCaKeyPath, nodeServingCaKeyPem, 0o600);
    writeFileAtomic(nodeCaCertPath, nodeServingCaCertPem, 0o644);
  }
  const nodeServingCaCert = await parseFile(nodeCaCertPath, 'PEM certificate', () => new x509.X509Certificate(nodeServingCaCertPem));
  const nodeServingCaKey = await parseFile(nodeCaKeyPath, 'PEM PKCS#8 private key', () => importKeyPem(nodeServingCaKeyPem));

  let servingCertPem = existsSync(certPath) ? readFileSync(certPath, 'utf8') : '';
  let servingKeyPem = existsSync(keyPath) ? readFileSync(keyPath, 'utf8') : '';
  // The names asked for now, then those the certificate on disk has already (see the contract).
  const sans = normalizeSans([...(opts.sans ?? []), ...(servingCertPem ? await namesOfServingCert(servingCertPem, caCert) : [])]);
  let servingIssued = false;
  // The serving pair is derived from the CA: one that is damaged is issued afresh.
  if (!servingCertPem || !servingKeyPem || !servingKeyFits(servingKeyPem, servingCertPem) || (await servingNeedsReissue(servingCertPem, caCert, sans, now))) {
    const leaf = await issueLeaf({ caCert, caKey }, { subject: [{ CN: ['everynode'] }], days: SERVING_VALIDITY_DAYS, usage: 'server', sans, now });
    servingCertPem = leaf.certPem;
    servingKeyPem = leaf.keyPem;
    writeFileAtomic(keyPath, servingKeyPem, 0o600);
    writeFileAtomic(certPath, servingCertPem, 0o644);
    servingIssued = true;
  } else {
    chmodSync(keyPath, 0o600);
  }

  return {
    dir,
    caCertPem,
    caKeyPem,
    servingCertPem,
    servingKeyPem,
    tlsOptions: { key: servingKeyPem, cert: servingCertPem + caCertPem, ca: caCertPem, requestCert: true, rejectUnauthorized: false },
    sans,
    servingIssued,
    caCreated,
    caKey,
    caCert,
    nodeServingCaCertPem,
    nodeServingCaCert,
    nodeServingCaKey,
  };
}
