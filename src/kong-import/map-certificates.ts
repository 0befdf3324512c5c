/**
 * decK certificates (with their SNIs) and CA certificates. Kong's ids are kept: services name
 * their CA certificates by id. A certificate's key is encrypted at rest by the store as any
 * certificate's is; its PEM is checked by the store when written (a bad one fails that item).
 */
import { certificatesDefinition } from '../entities/certificates.js';
import { caCertificatesDefinition } from '../entities/ca-certificates.js';
import { isObject, type DeckObject } from './deck-path.js';
import { leftoverFields } from './leftover-fields.js';
import { kongId, type MapContext } from './map-context.js';

export function mapCertificate(ctx: MapContext, cert: DeckObject, path: string): void {
  const snis = ctx.reader.list(cert, 'snis', path).map((s) => (isObject(s) ? s['name'] : s));
  const id = kongId(cert['id']);
  const label = typeof snis[0] === 'string' ? `certificate for ${snis.join(', ')}` : (id ?? path);
  const input: Record<string, unknown> = {};
  for (const f of ['cert', 'key', 'cert_alt', 'key_alt', 'tags']) if (cert[f] != null) input[f] = cert[f];
  if (snis.length > 0) input['snis'] = snis;
  ctx.unsupported.push(...leftoverFields(cert, { entity: 'certificate', name: label, path, used: ['cert', 'key', 'cert_alt', 'key_alt', 'tags', 'snis'] }));
  if (ctx.checker.check(certificatesDefinition, input, path)) ctx.items.certificate.push({ kind: 'certificate', path, label, id, input, refs: {} });
}

export function mapCaCertificate(ctx: MapContext, cert: DeckObject, path: string): void {
  const id = kongId(cert['id']);
  const label = id ?? path;
  const input: Record<string, unknown> = {};
  for (const f of ['cert', 'tags']) if (cert[f] != null) input[f] = cert[f];
  // cert_digest is derived from cert by Kong; Portcullis derives what it needs itself.
  ctx.unsupported.push(...leftoverFields(cert, { entity: 'ca_certificate', name: label, path, used: ['cert', 'tags', 'cert_digest'] }));
  if (ctx.checker.check(caCertificatesDefinition, input, path)) ctx.items.ca_certificate.push({ kind: 'ca_certificate', path, label, id, input, refs: {} });
}
