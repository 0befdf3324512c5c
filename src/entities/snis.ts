/**
 * SNIs (Kong's entity): a server name and the certificate the TLS listener presents for it. The
 * name is exact or has one leading wildcard label (rules in tls/sni-name.ts), stored lowercase
 * and looked up so in paths (`/snis/API.example.com` is `api.example.com`). Deleting a
 * certificate deletes its SNIs.
 */
import Type from 'typebox';
import type { BaseEntity, EntityDefinition, ForeignRef } from './entity.js';
import { ForeignInput, Tags } from './common-schemas.js';
import { MAX_SNI_NAME_LENGTH, normalizeSniName, sniNameProblem } from '../tls/sni-name.js';
import type { FieldError } from '../errors/portcullis-error.js';

export interface Sni extends BaseEntity {
  readonly name: string;
  readonly certificate: ForeignRef;
  readonly tags: readonly string[];
}

export const SniInput = Type.Object(
  {
    // Both required (check below); a PUT gives the name in its path, a nested route the certificate.
    name: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_SNI_NAME_LENGTH, description: 'A host name, or *.<domain> (one leading wildcard label)' })),
    certificate: Type.Optional(ForeignInput),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);

export const snisDefinition: EntityDefinition<Sni> = {
  name: 'snis',
  singular: 'SNI',
  endpointKey: 'name',
  inputSchema: SniInput,
  fields: {
    name: { kind: 'string', unique: true },
    certificate: { kind: 'foreign', foreign: 'certificates', onDelete: 'cascade' },
    tags: { kind: 'json' },
  },
  defaults: { tags: [] },
  normalizeKey: normalizeSniName,
  normalize: (input) => (typeof input['name'] === 'string' ? { ...input, name: normalizeSniName(input['name']) } : { ...input }),
  check(sni) {
    const errors: FieldError[] = [];
    const problem = typeof sni.name === 'string' ? sniNameProblem(sni.name) : 'is required';
    if (problem) errors.push({ path: 'name', message: problem });
    if (!sni.certificate) errors.push({ path: 'certificate', message: 'is required' });
    return errors;
  },
};
