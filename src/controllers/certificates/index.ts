// The CertificateSigningRequest signer of the kubernetes.io signers (upstream's csrsigning
// controller, pkg/controller/certificates/signer): an approved request for
// kubernetes.io/kube-apiserver-client, kubernetes.io/kube-apiserver-client-kubelet or
// kubernetes.io/kubelet-serving is issued a certificate signed by the cluster CA, through /status.
//
// Contract (signCertificateSigningRequest, shared by the controller and the API server's
// in-process signer, apiserver/certificates-admission.ts):
// - Acts only on a request that is Approved (and not Denied), has no Failed=True condition, has
//   no certificate yet and names one of the three signers; anything else is left alone (other
//   signers belong to other signers; upstream's auto-approver is not implemented).
// - The signer's checks (upstream's isRequestForSignerFn): kube-apiserver-client needs usage
//   `client auth` and allows only `digital signature` and `key encipherment` besides, any
//   subject; the kubelet signers need O=[system:nodes], CN system:node:<name>, exactly the
//   kubelet usage sets and their SAN rules. A request failing them gets Failed=True, reason
//   SignerValidationFailure, with upstream's message, and is not signed.
// - The certificate (upstream's PermissiveSigningPolicy): the request's subject, SANs and public
//   key; the requested usages (key usage critical, extended key usage), CA:false; notBefore now -
//   5 min; lifetime = expirationSeconds if given (at least 10 min) capped at `maxDurationMs`
//   (--cluster-signing-duration, default one year), notAfter = now + lifetime (- 5 min when the
//   lifetime is 8 h or more), never past the CA's notAfter.
// - The controller is level-triggered on request names; a write that lost a race is retried from
//   the cache (the request then already has a certificate, and nothing is done).

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import type { KubeObject } from '../../api/types.js';
import {
  KubeAPIServerClientKubeletSignerName,
  KubeAPIServerClientSignerName,
  KubeletServingSignerName,
  bytesField,
  csrNames,
  parseCsrPem,
  type CsrNames,
} from '../../api/validation/index.js';
import { type ApiClient, type Clock, type Informer, type ResourceDescriptor, type SharedInformerFactory, RateLimitingQueue, realClock, runQueueWorkers } from '../../client/index.js';

export const certificateSigningRequestsResource: ResourceDescriptor = {
  group: 'certificates.k8s.io',
  version: 'v1',
  plural: 'certificatesigningrequests',
  namespaced: false,
  kind: 'CertificateSigningRequest',
};

/** The signers this controller serves. */
export const kubernetesSignerNames: readonly string[] = [KubeAPIServerClientSignerName, KubeAPIServerClientKubeletSignerName, KubeletServingSignerName];

/** Upstream's --cluster-signing-duration default (8760h). */
export const defaultClusterSigningDurationMs = 8760 * 3600 * 1000;
const backdateMs = 5 * 60 * 1000;
const shortMs = 8 * 3600 * 1000;
const minDurationMs = 10 * 60 * 1000;

/** The CA that signs: its certificate and private key (PKCS#8 PEM). */
export interface SigningCa {
  caCertPem: string;
  caKeyPem: string;
}

interface LoadedCa {
  cert: x509.X509Certificate;
  key: webcrypto.CryptoKey;
  signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
}

const loaded = new WeakMap<SigningCa, Promise<LoadedCa>>();

function loadCa(ca: SigningCa): Promise<LoadedCa> {
  let p = loaded.get(ca);
  if (!p) {
    p = (async () => {
      const cert = new x509.X509Certificate(ca.caCertPem);
      const der = x509.PemConverter.decodeFirst(ca.caKeyPem);
      const info = createPrivateKey(ca.caKeyPem);
      if (info.asymmetricKeyType === 'ec') {
        const curve = info.asymmetricKeyDetails?.namedCurve;
        const namedCurve = curve === 'secp384r1' ? 'P-384' : curve === 'secp521r1' ? 'P-521' : 'P-256';
        const hash = namedCurve === 'P-256' ? 'SHA-256' : namedCurve === 'P-384' ? 'SHA-384' : 'SHA-512';
        const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve }, false, ['sign']);
        return { cert, key, signingAlgorithm: { name: 'ECDSA', hash } };
      }
      if (info.asymmetricKeyType === 'rsa') {
        const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
        const key = await webcrypto.subtle.importKey('pkcs8', der, alg, false, ['sign']);
        return { cert, key, signingAlgorithm: alg };
      }
      throw new Error(`unsupported CA key type ${info.asymmetricKeyType ?? 'unknown'}`);
    })();
    loaded.set(ca, p);
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// The signer's checks

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
};

const kubeletClientUsages = ['client auth', 'digital signature', 'key encipherment'];
const kubeletClientUsagesNoRSA = ['client auth', 'digital signature'];
const kubeletServingUsages = ['digital signature', 'key encipherment', 'server auth'];
const kubeletServingUsagesNoRSA = ['digital signature', 'server auth'];
const orgIsSystemNodes = (n: CsrNames): boolean => n.organizations.length === 1 && n.organizations[0] === 'system:nodes';

/** validAPIServerClientUsages. */
function validAPIServerClientUsages(usages: readonly string[]): string | undefined {
  let hasClientAuth = false;
  for (const u of usages) {
    if (u === 'digital signature' || u === 'key encipherment') continue;
    if (u === 'client auth') hasClientAuth = true;
    else return `invalid usage for client certificate: ${u}`;
  }
  return hasClientAuth ? undefined : 'missing required usage for client certificate: client auth';
}

/** ValidateKubeletClientCSR. */
function validateKubeletClient(n: CsrNames, usages: readonly string[]): string | undefined {
  if (!orgIsSystemNodes(n)) return 'subject organization is not system:nodes';
  if (n.dnsNames.length > 0) return 'DNS subjectAltNames are not allowed';
  if (n.emailAddresses.length > 0) return 'Email subjectAltNames are not allowed';
  if (n.ipAddresses.length > 0) return 'IP subjectAltNames are not allowed';
  if (n.uris.length > 0) return 'URI subjectAltNames are not allowed';
  if (!n.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  if (!sameSet(usages, kubeletClientUsages) && !sameSet(usages, kubeletClientUsagesNoRSA)) return `usages did not match [${kubeletClientUsages.join(' ')}]`;
  return undefined;
}

/** ValidateKubeletServingCSR. */
function validateKubeletServing(n: CsrNames, usages: readonly string[]): string | undefined {
  if (!orgIsSystemNodes(n)) return 'subject organization is not system:nodes';
  if (n.dnsNames.length === 0 && n.ipAddresses.length === 0) return 'DNS or IP subjectAltName is required';
  if (n.emailAddresses.length > 0) return 'Email subjectAltNames are not allowed';
  if (n.uris.length > 0) return 'URI subjectAltNames are not allowed';
  if (!sameSet(usages, kubeletServingUsages) && !sameSet(usages, kubeletServingUsagesNoRSA)) return `usages did not match [${kubeletServingUsages.join(' ')}]`;
  if (!n.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  return undefined;
}

/** The signer's check of a request for `signerName` (undefined: it may be signed). */
export function signerCheck(signerName: string, names: CsrNames, usages: readonly string[]): string | undefined {
  switch (signerName) {
    case KubeAPIServerClientSignerName:
      return validAPIServerClientUsages(usages);
    case KubeAPIServerClientKubeletSignerName:
      return validateKubeletClient(names, usages);
    case KubeletServingSignerName:
      return validateKubeletServing(names, usages);
    default:
      return `unrecognized signerName: ${JSON.stringify(signerName)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Signing

const keyUsageFlags: Record<string, number> = {
  signing: x509.KeyUsageFlags.digitalSignature,
  'digital signature': x509.KeyUsageFlags.digitalSignature,
  'content commitment': x509.KeyUsageFlags.nonRepudiation,
  'key encipherment': x509.KeyUsageFlags.keyEncipherment,
  'key agreement': x509.KeyUsageFlags.keyAgreement,
  'data encipherment': x509.KeyUsageFlags.dataEncipherment,
  'cert sign': x509.KeyUsageFlags.keyCertSign,
  'crl sign': x509.KeyUsageFlags.cRLSign,
  'encipher only': x509.KeyUsageFlags.encipherOnly,
  'decipher only': x509.KeyUsageFlags.decipherOnly,
};
const extKeyUsageOids: Record<string, string> = {
  any: '2.5.29.37.0',
  'server auth': x509.ExtendedKeyUsage.serverAuth,
  'client auth': x509.ExtendedKeyUsage.clientAuth,
  'code signing': x509.ExtendedKeyUsage.codeSigning,
  'email protection': x509.ExtendedKeyUsage.emailProtection,
  's/mime': x509.ExtendedKeyUsage.emailProtection,
  'ipsec end system': '1.3.6.1.5.5.7.3.5',
  'ipsec tunnel': '1.3.6.1.5.5.7.3.6',
  'ipsec user': '1.3.6.1.5.5.7.3.7',
  timestamping: x509.ExtendedKeyUsage.timeStamping,
  'ocsp signing': x509.ExtendedKeyUsage.ocspSigning,
  'microsoft sgc': '1.3.6.1.4.1.311.10.3.3',
  'netscape sgc': '2.16.840.1.113730.4.1',
};

/** The lifetime the signer gives: expirationSeconds if set (at least 10 min), at most maxDurationMs. */
export function signingDurationMs(expirationSeconds: number | undefined, maxDurationMs = defaultClusterSigningDurationMs): number {
  if (expirationSeconds === undefined) return maxDurationMs;
  const requested = expirationSeconds * 1000;
  if (requested > maxDurationMs) return maxDurationMs;
  if (requested < minDurationMs) return minDurationMs;
  return requested;
}

/** Go's time.Time String of a date, as upstream's errors print the CA's notAfter. */
const goTime = (d: Date): string => `${d.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;

/** Signs `csrDer` with the CA under upstream's PermissiveSigningPolicy; the PEM certificate. */
async function issue(ca: LoadedCa, csrDer: Buffer, usages: readonly string[], durationMs: number, now: Date): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(csrDer);
  let flags = 0;
  const ekus: string[] = [];
  for (const u of usages) {
    if (keyUsageFlags[u] !== undefined) flags |= keyUsageFlags[u]!;
    else if (extKeyUsageOids[u] !== undefined) ekus.push(extKeyUsageOids[u]!);
    else throw new Error(`unrecognized usage values: ${JSON.stringify([u])}`);
  }
  const signerNotAfter = ca.cert.notAfter;
  const notBefore = new Date(now.getTime() - backdateMs);
  let notAfter = new Date(now.getTime() + (durationMs < shortMs ? durationMs : durationMs - backdateMs));
  if (!(notAfter < signerNotAfter)) notAfter = signerNotAfter;
  if (!(notBefore < signerNotAfter)) throw new Error(`the signer has expired: NotAfter=${goTime(signerNotAfter)}`);
  if (!(now < signerNotAfter)) throw new Error(`refusing to sign a certificate that expired in the past: NotAfter=${goTime(signerNotAfter)}`);
  const extensions: x509.Extension[] = [];
  if (flags !== 0) extensions.push(new x509.KeyUsagesExtension(flags, true));
  if (ekus.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension([...new Set(ekus)].sort(), false));
  extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false));
  const san = csr.extensions.find((e) => e.type === '2.5.29.17');
  if (san) extensions.push(new x509.Extension(san.type, san.critical, san.value));
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f || 0x01;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toString('hex'),
    subject: csr.subjectName,
    issuer: ca.cert.subjectName,
    notBefore,
    notAfter,
    publicKey: csr.publicKey,
    signingKey: ca.key,
    signingAlgorithm: ca.signingAlgorithm,
    extensions,
  });
  return cert.toString('pem') + '\n';
}

type Condition = { type?: string; status?: string; reason?: string; message?: string; lastUpdateTime?: string; lastTransitionTime?: string };
type Csr = KubeObject & {
  spec?: { request?: string; signerName?: string; usages?: string[]; expirationSeconds?: number };
  status?: { conditions?: Condition[]; certificate?: string };
};

/** IsCertificateRequestApproved: Approved and not Denied. */
export function isApproved(csr: KubeObject): boolean {
  const cs = (csr as Csr).status?.conditions ?? [];
  return cs.some((c) => c.type === 'Approved') && !cs.some((c) => c.type === 'Denied');
}

/**
 * What the signer does with `csr` (see the file comment): the object to write through /status
 * (with the certificate, or with a Failed condition), or undefined when there is nothing to do.
 * Throws when signing itself fails (retried).
 */
export async function signCertificateSigningRequest(
  csr: KubeObject,
  ca: SigningCa,
  opts: { now?: Date; maxDurationMs?: number } = {},
): Promise<KubeObject | undefined> {
  const c = csr as Csr;
  const conditions = c.status?.conditions ?? [];
  if (!isApproved(csr) || conditions.some((x) => x.type === 'Failed' && x.status === 'True')) return undefined;
  if (bytesField(c.status?.certificate).length > 0) return undefined;
  const signerName = c.spec?.signerName ?? '';
  if (!kubernetesSignerNames.includes(signerName)) return undefined;
  const now = opts.now ?? new Date();
  const parsed = parseCsrPem(bytesField(c.spec?.request));
  if ('error' in parsed) throw new Error(`unable to parse csr ${JSON.stringify(csr.metadata.name ?? '')}: ${parsed.error}`);
  const usages = c.spec?.usages ?? [];
  const refused = signerCheck(signerName, csrNames(parsed.csr), usages);
  if (refused !== undefined) {
    const failed: Condition = { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: refused, lastUpdateTime: now.toISOString().replace(/\.\d+Z$/, 'Z') };
    return { ...csr, status: { ...(c.status ?? {}), conditions: [...conditions, failed] } } as KubeObject;
  }
  const loadedCa = await loadCa(ca);
  let pem: string;
  try {
    pem = await issue(loadedCa, parsed.der, usages, signingDurationMs(c.spec?.expirationSeconds, opts.maxDurationMs), now);
  } catch (err) {
    throw new Error(`error auto signing csr: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { ...csr, status: { ...(c.status ?? {}), certificate: Buffer.from(pem).toString('base64') } } as KubeObject;
}

// ---------------------------------------------------------------------------------------------
// The controller

export interface CertificateSigningControllerOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  ca: SigningCa;
  /** Longest lifetime issued (upstream's --cluster-signing-duration); default one year. */
  maxDurationMs?: number;
  clock?: Clock;
  onError?: (err: unknown) => void;
}

export class CertificateSigningController {
  private readonly client: ApiClient;
  private readonly csrs: Informer<KubeObject>;
  private readonly ca: SigningCa;
  private readonly maxDurationMs: number;
  private readonly clock: Clock;
  readonly queue: RateLimitingQueue<string>;
  private readonly onError: (err: unknown) => void;

  constructor(o: CertificateSigningControllerOptions) {
    this.client = o.client;
    this.ca = o.ca;
    this.maxDurationMs = o.maxDurationMs ?? defaultClusterSigningDurationMs;
    this.clock = o.clock ?? realClock;
    this.onError = o.onError ?? (() => {});
    this.queue = new RateLimitingQueue<string>(this.clock);
    this.csrs = o.informers.forResource<KubeObject>(certificateSigningRequestsResource);
    const enqueue = (obj: KubeObject): void => this.queue.add(obj.metadata.name ?? '');
    this.csrs.addEventHandler({ add: enqueue, update: (_old, cur) => enqueue(cur), delete: () => {} });
  }

  /** Runs `workers` workers until `signal` aborts. */
  run(signal: AbortSignal, workers = 1): Promise<void> {
    return runQueueWorkers({ queue: this.queue, caches: [this.csrs], signal, workers, sync: (key) => this.sync(key), onError: this.onError });
  }

  /** Signs (or fails) the named request when it is due; not found or not due: done. */
  async sync(name: string): Promise<void> {
    const csr = this.csrs.lister.get(name);
    if (!csr) return;
    const next = await signCertificateSigningRequest(csr, this.ca, { now: new Date(this.clock.now()), maxDurationMs: this.maxDurationMs });
    if (next) await this.client.updateStatus(certificateSigningRequestsResource, '', next);
  }
}
