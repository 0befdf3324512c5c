/**
 * A self-signed certificate made in process (ECDSA P-256, SHA-256): the node's default TLS
 * certificate when none is configured. Built with @peculiar/x509 on Node's WebCrypto; the library
 * (and the `reflect-metadata` polyfill its dependency injection needs) is imported only when a
 * certificate is actually generated, so a node that has one never loads it.
 */
import { webcrypto } from 'node:crypto';

export interface GeneratedCertificate {
  readonly cert: string;
  readonly key: string;
}

export interface SelfSignedOptions {
  /** The subject's common name. */
  readonly commonName: string;
  /** DNS names and IP addresses for the subjectAltName extension. */
  readonly names: readonly string[];
  /** Validity in days from now (backdated one hour for clock skew). */
  readonly days: number;
  /** Clock (tests). */
  readonly now?: () => number;
}

/** Generates a key pair and a self-signed certificate for it, both as PEM. */
export async function createSelfSignedCertificate(options: SelfSignedOptions): Promise<GeneratedCertificate> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as never);
  const now = options.now?.() ?? Date.now();
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)));
  serial[0] = serial[0]! & 0x7f; // a positive INTEGER
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${options.commonName.replace(/[,+="\\<>;#]/g, '')}`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + options.days * 86_400_000),
    keys: keys as never,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(options.names.map((value) => ({ type: isIpLiteral(value) ? 'ip' : 'dns', value }))),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { cert: certificate.toString('pem') + '\n', key: toPem(pkcs8, 'PRIVATE KEY') };
}

function isIpLiteral(value: string): boolean {
  return /^[0-9.]+$/.test(value) || value.includes(':');
}

function toPem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
