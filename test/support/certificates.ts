/**
 * Certificates made inside the tests (TEST-ONLY, never shipped): a CA that issues server and
 * client certificates for any names, RSA or ECDSA, with any validity (expired, not yet valid),
 * and self-signed ones. Each call makes fresh keys, so tests never share a private key.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto, X509Certificate } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as never);

export type TestKeyType = 'ecdsa' | 'rsa';

/** A certificate and its private key as PEM, with Node's parsed view of the certificate. */
export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
  readonly x509: X509Certificate;
}

export interface TestCertificateOptions {
  /** DNS names (`*.example.test` allowed) and IP addresses; the first is also the common name. */
  readonly names: readonly string[];
  readonly keyType?: TestKeyType;
  /** Milliseconds since the epoch; default one hour ago. */
  readonly notBefore?: number;
  /** Milliseconds since the epoch; default 90 days from now. */
  readonly notAfter?: number;
  /** For mTLS client certificates: extendedKeyUsage clientAuth instead of serverAuth. */
  readonly client?: boolean;
}

export interface TestCa extends TestCertificate {
  /** Issues a leaf certificate signed by this CA. */
  issue(options: TestCertificateOptions): Promise<TestCertificate>;
  /** Issues an intermediate CA signed by this CA (a chain is its leaves' cert + the intermediates' certs). */
  issueCa(options: { readonly name: string; readonly keyType?: TestKeyType }): Promise<TestCa>;
}

const ALGORITHMS = {
  ecdsa: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  rsa: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
} as const;

const HOUR = 3600_000;
const DAY = 24 * HOUR;

type KeyPair = { publicKey: any; privateKey: any };

async function keyPair(type: TestKeyType): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHMS[type], true, ['sign', 'verify'])) as KeyPair;
}

async function pemOfKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  const bytes = Buffer.from(webcrypto.getRandomValues(new Uint8Array(12)));
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function altNames(names: readonly string[]): x509.SubjectAlternativeNameExtension {
  return new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: /^[0-9.]+$/.test(value) || value.includes(':') ? 'ip' : 'dns', value })));
}

function done(cert: x509.X509Certificate, key: string): TestCertificate {
  const pem = cert.toString('pem') + '\n';
  return { cert: pem, key, x509: new X509Certificate(pem) };
}

/** A CA certificate (self-signed, basicConstraints CA) that can issue leaves and intermediate CAs. */
export async function createTestCa(options: { name?: string; keyType?: TestKeyType; notAfter?: number } = {}): Promise<TestCa> {
  const type = options.keyType ?? 'ecdsa';
  const keys = await keyPair(type);
  const name = `CN=${options.name ?? 'Portcullis TEST-ONLY CA'}`;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    notBefore: new Date(Date.now() - HOUR),
    notAfter: new Date(options.notAfter ?? Date.now() + 365 * DAY),
    keys,
    signingAlgorithm: ALGORITHMS[type],
    extensions: await caExtensions(keys),
  });
  return caFrom(caCert, keys, type);
}

async function caExtensions(keys: KeyPair): Promise<x509.Extension[]> {
  return [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
}

/** A CA over its certificate and keys: issues leaves and intermediate CAs signed with its key. */
async function caFrom(caCert: x509.X509Certificate, keys: KeyPair, type: TestKeyType): Promise<TestCa> {
  const ca = done(caCert, await pemOfKey(keys.privateKey));
  return {
    ...ca,
    async issue(leaf) {
      const leafType = leaf.keyType ?? 'ecdsa';
      const leafKeys = await keyPair(leafType);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${leaf.names[0] ?? 'leaf'}`,
        issuer: caCert.subject,
        notBefore: new Date(leaf.notBefore ?? Date.now() - HOUR),
        notAfter: new Date(leaf.notAfter ?? Date.now() + 90 * DAY),
        publicKey: leafKeys.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: ALGORITHMS[type],
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.ExtendedKeyUsageExtension([leaf.client ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth]),
          await x509.AuthorityKeyIdentifierExtension.create(caCert),
          altNames(leaf.names),
        ],
      });
      return done(cert, await pemOfKey(leafKeys.privateKey));
    },
    async issueCa(options) {
      const caType = options.keyType ?? 'ecdsa';
      const caKeys = await keyPair(caType);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${options.name}`,
        issuer: caCert.subject,
        notBefore: new Date(Date.now() - HOUR),
        notAfter: new Date(Date.now() + 180 * DAY),
        publicKey: caKeys.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: ALGORITHMS[type],
        extensions: [...(await caExtensions(caKeys)), await x509.AuthorityKeyIdentifierExtension.create(caCert)],
      });
      return caFrom(cert, caKeys, caType);
    },
  };
}

/** A self-signed leaf (no CA): what an operator may upload, or what an untrusted upstream serves. */
export async function createSelfSignedTestCertificate(options: TestCertificateOptions): Promise<TestCertificate> {
  const type = options.keyType ?? 'ecdsa';
  const keys = await keyPair(type);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${options.names[0] ?? 'self-signed'}`,
    notBefore: new Date(options.notBefore ?? Date.now() - HOUR),
    notAfter: new Date(options.notAfter ?? Date.now() + 90 * DAY),
    keys,
    signingAlgorithm: ALGORITHMS[type],
    extensions: [
      new x509.ExtendedKeyUsageExtension([options.client ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth]),
      altNames(options.names),
    ],
  });
  return done(cert, await pemOfKey(keys.privateKey));
}

export { DAY, HOUR };
