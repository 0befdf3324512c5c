/**
 * An entity definition seen as an Admin API resource: names, schemas, and hidden fields that
 * never leave.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import type { BaseEntity, EntityDefinition } from '../entities/entity.js';
import { servicesDefinition } from '../entities/services.js';
import { entityResource } from './entity-resource.js';

const credentials = {
  name: 'basicauth_credentials',
  singular: 'basic-auth credential',
  inputSchema: Type.Object({ username: Type.String(), password: Type.String() }, { additionalProperties: false }),
  fields: {
    consumer: { kind: 'foreign', foreign: 'consumers', onDelete: 'cascade' },
    username: { kind: 'string', unique: true },
    password: { kind: 'string', hidden: true },
  },
} as const satisfies EntityDefinition;

describe('entity resource', () => {
  it('derives the path segment, parameter and component names from the definition', () => {
    const services = entityResource(servicesDefinition as unknown as EntityDefinition);
    assert.equal(services.segment, 'services');
    assert.equal(services.param, 'service');
    assert.equal(services.title, 'Service');
    const creds = entityResource(credentials);
    assert.equal(creds.segment, 'basicauth-credentials');
    assert.equal(creds.param, 'basic_auth_credential');
    assert.equal(creds.title, 'BasicAuthCredential');
  });

  it('never shows a hidden field, in the view or in the response schema', () => {
    const creds = entityResource(credentials);
    const entity = { id: 'x', created_at: 1, updated_at: 1, consumer: { id: 'c' }, username: 'u', password: '$hash' } as BaseEntity;
    assert.deepEqual(creds.view(entity), { id: 'x', created_at: 1, updated_at: 1, consumer: { id: 'c' }, username: 'u' });
    assert.equal('password' in entity, true, 'the entity itself is not changed');
    const props = (creds.output as unknown as { properties: Record<string, unknown> }).properties;
    assert.deepEqual(Object.keys(props), ['id', 'consumer', 'username', 'created_at', 'updated_at']);
  });

  it('makes every input field optional in the PATCH schema', () => {
    const creds = entityResource(credentials);
    assert.deepEqual((creds.patch as unknown as { required?: string[] }).required ?? [], []);
    assert.deepEqual((creds.input as unknown as { required: string[] }).required.sort(), ['password', 'username']);
  });

  it('takes the path segment a definition names (Kong’s /ca_certificates) instead of the derived one', () => {
    const cas = entityResource({ ...credentials, name: 'ca_certificates', singular: 'CA certificate', path: 'ca_certificates' });
    assert.deepEqual([cas.segment, cas.param, cas.title], ['ca_certificates', 'ca_certificate', 'CACertificate']);
  });

  it('shows a write-only field as null, or as the vault reference it holds, and documents it so', () => {
    const secret = entityResource({
      ...credentials,
      fields: { username: { kind: 'string' }, password: { kind: 'string', writeOnly: true } },
    });
    const base = { id: 'x', created_at: 1, updated_at: 1, username: 'u' };
    assert.deepEqual(secret.view({ ...base, password: 'plain' } as BaseEntity), { ...base, password: null });
    assert.deepEqual(secret.view({ ...base, password: '{vault://env/pw}' } as BaseEntity), { ...base, password: '{vault://env/pw}' });
    assert.deepEqual(secret.view({ ...base, password: 'x{vault://env/pw}' } as BaseEntity), { ...base, password: null }, 'only a whole reference');
    const props = (secret.output as unknown as { properties: Record<string, { type?: unknown }> }).properties;
    assert.deepEqual(props['password']?.type, ['string', 'null']);
  });

  it('adds the definition’s output properties to the view, computed from what is shown, and to the response schema', () => {
    const seen: Record<string, unknown>[] = [];
    const withOutput = entityResource({
      ...credentials,
      fields: { username: { kind: 'string' }, password: { kind: 'string', writeOnly: true } },
      output: {
        properties: { length: Type.Integer() },
        show(shown) {
          seen.push(shown);
          return { length: String(shown['username']).length };
        },
      },
    });
    const view = withOutput.view({ id: 'x', created_at: 1, updated_at: 1, username: 'abc', password: 'plain' } as BaseEntity);
    assert.equal(view['length'], 3);
    assert.equal(seen[0]?.['password'], null, 'output sees the write-only field already hidden');
    const props = (withOutput.output as unknown as { properties: Record<string, unknown> }).properties;
    assert.ok(props['length']);
  });

  it('names an entity by UUID only when it has no endpoint key', () => {
    const creds = entityResource(credentials);
    assert.equal((creds.idParam as unknown as { format?: string }).format, 'uuid');
    const services = entityResource(servicesDefinition as unknown as EntityDefinition);
    assert.equal((services.idParam as unknown as { format?: string }).format, undefined);
  });
});
