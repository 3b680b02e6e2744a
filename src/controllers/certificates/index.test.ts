import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.js';
import { realClock, type ApiClient, type SharedInformerFactory } from '../../client/index.js';
import { CertificateSigningController, signCertificateSigningRequest, signingDurationMs, type SigningCa } from './index.js';

const alg = { name: 'ECDSA', hash: 'SHA-256' };
const ec = { name: 'ECDSA', namedCurve: 'P-256' };
const DAY = 86_400_000;
let ca: SigningCa;
let shortCa: SigningCa;
const now = new Date('2025-03-01T00:00:00Z');

async function makeCa(days: number): Promise<SigningCa> {
  const keys = (await webcrypto.subtle.generateKey(ec, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=test-ca',
    keys,
    signingAlgorithm: alg,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + days * DAY),
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { caCertPem: cert.toString('pem'), caKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

async function request(subject: string, sans: x509.JsonGeneralNames = []): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey(ec, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm: alg, ...(sans.length ? { extensions: [new x509.SubjectAlternativeNameExtension(sans)] } : {}) });
  return Buffer.from(csr.toString('pem')).toString('base64');
}

function csrObject(req: string, spec: Record<string, unknown>, conditions: unknown[] = [{ type: 'Approved', status: 'True' }], certificate?: string): KubeObject {
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: 'r', resourceVersion: '5' },
    spec: { request: req, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], ...spec },
    status: { conditions, ...(certificate ? { certificate } : {}) },
  } as KubeObject;
}

const certOf = (o: KubeObject | undefined): x509.X509Certificate => new x509.X509Certificate(Buffer.from((o as any).status.certificate, 'base64').toString());
const failedOf = (o: KubeObject | undefined): any => (o as any).status.conditions.find((c: any) => c.type === 'Failed');

beforeAll(async () => {
  ca = await makeCa(3650);
  shortCa = await makeCa(2);
});

describe('signingDurationMs', () => {
  it('honours expirationSeconds between 10 minutes and the maximum', () => {
    expect(signingDurationMs(undefined)).toBe(365 * DAY);
    expect(signingDurationMs(3600)).toBe(3_600_000);
    expect(signingDurationMs(60)).toBe(600_000);
    expect(signingDurationMs(10 * 365 * 86400)).toBe(365 * DAY);
    expect(signingDurationMs(7200, 3_600_000)).toBe(3_600_000);
  });
});

describe('signCertificateSigningRequest', () => {
  it('issues a client certificate with the subject, usages and lifetime asked for', async () => {
    const out = await signCertificateSigningRequest(csrObject(await request('CN=alice, O=devs'), { expirationSeconds: 3600, usages: ['digital signature', 'client auth'] }), ca, { now });
    const cert = certOf(out);
    expect(cert.subject).toBe('CN=alice, O=devs');
    expect(cert.notBefore.getTime()).toBe(now.getTime() - 5 * 60_000);
    expect(cert.notAfter.getTime()).toBe(now.getTime() + 3_600_000);
    expect(cert.getExtension(x509.KeyUsagesExtension)?.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(cert.getExtension(x509.KeyUsagesExtension)?.critical).toBe(true);
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([x509.ExtendedKeyUsage.clientAuth]);
    expect(await cert.verify({ publicKey: new x509.X509Certificate(ca.caCertPem).publicKey, signatureOnly: true })).toBe(true);
    // The rest of the object is kept: the write is a /status update of this version.
    expect(out?.metadata.resourceVersion).toBe('5');
  });

  it('backdates the end of a long certificate and caps it at the CA', async () => {
    const long = certOf(await signCertificateSigningRequest(csrObject(await request('CN=a'), { expirationSeconds: 86400 }), ca, { now }));
    expect(long.notAfter.getTime()).toBe(now.getTime() + DAY - 5 * 60_000);
    const capped = certOf(await signCertificateSigningRequest(csrObject(await request('CN=a'), {}), shortCa, { now }));
    expect(capped.notAfter.getTime()).toBe(new x509.X509Certificate(shortCa.caCertPem).notAfter.getTime());
  });

  it('does nothing for pending, denied, failed, issued and foreign-signer requests', async () => {
    const req = await request('CN=a');
    expect(await signCertificateSigningRequest(csrObject(req, {}, []), ca, { now })).toBeUndefined();
    expect(await signCertificateSigningRequest(csrObject(req, {}, [{ type: 'Approved', status: 'True' }, { type: 'Denied', status: 'True' }]), ca, { now })).toBeUndefined();
    expect(await signCertificateSigningRequest(csrObject(req, {}, [{ type: 'Approved', status: 'True' }, { type: 'Failed', status: 'True' }]), ca, { now })).toBeUndefined();
    expect(await signCertificateSigningRequest(csrObject(req, {}, undefined, 'eA=='), ca, { now })).toBeUndefined();
    expect(await signCertificateSigningRequest(csrObject(req, { signerName: 'example.com/x' }), ca, { now })).toBeUndefined();
  });

  it("fails requests that break the signers' rules with upstream's messages", async () => {
    const cases: Array<[string, Record<string, unknown>, string, x509.JsonGeneralNames?]> = [
      ['CN=a', { usages: ['server auth'] }, 'invalid usage for client certificate: server auth'],
      ['CN=a', { usages: ['digital signature'] }, 'missing required usage for client certificate: client auth'],
      ['CN=system:node:n1, O=other', { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] }, 'subject organization is not system:nodes'],
      ['CN=system:node:n1, O=system:nodes', { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['client auth'] }, 'usages did not match [client auth digital signature key encipherment]'],
      ['CN=system:node:n1, O=system:nodes', { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] }, 'DNS subjectAltNames are not allowed', [{ type: 'dns', value: 'n1' }]],
      ['CN=system:node:n1, O=system:nodes', { signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] }, 'DNS or IP subjectAltName is required'],
      ['CN=n1, O=system:nodes', { signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] }, 'subject common name does not begin with system:node:', [{ type: 'ip', value: '10.0.0.1' }]],
    ];
    for (const [subject, spec, message, sans] of cases) {
      const out = await signCertificateSigningRequest(csrObject(await request(subject, sans), spec), ca, { now });
      expect(failedOf(out), message).toMatchObject({ type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message });
      expect((out as any).status.certificate).toBeUndefined();
    }
    const ok = await signCertificateSigningRequest(
      csrObject(await request('CN=system:node:n1, O=system:nodes'), { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['key encipherment', 'digital signature', 'client auth'] }),
      ca,
      { now },
    );
    expect(certOf(ok).subject).toBe('CN=system:node:n1, O=system:nodes');
  });
});

describe('CertificateSigningController.sync', () => {
  it('writes the signed request through /status, and nothing for a request not due', async () => {
    const stored = new Map<string, KubeObject>();
    const writes: Array<{ sub: string; obj: KubeObject }> = [];
    const informers = { forResource: () => ({ lister: { get: (n: string) => stored.get(n) }, addEventHandler() {} }) } as unknown as SharedInformerFactory;
    const client = { updateStatus: async (_r: unknown, _ns: string, obj: KubeObject) => (writes.push({ sub: 'status', obj }), obj) } as unknown as ApiClient;
    const c = new CertificateSigningController({ client, informers, ca, clock: { ...realClock, now: () => now.getTime() } });
    stored.set('pending', { ...csrObject(await request('CN=p'), {}, []), metadata: { name: 'pending' } } as KubeObject);
    stored.set('ready', { ...csrObject(await request('CN=r'), {}), metadata: { name: 'ready' } } as KubeObject);
    await c.sync('missing');
    await c.sync('pending');
    expect(writes).toEqual([]);
    await c.sync('ready');
    expect(writes.length).toBe(1);
    expect(certOf(writes[0]!.obj).subject).toBe('CN=r');
  });
});
