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

  it('names an entity by UUID only when it has no endpoint key', () => {
    const creds = entityResource(credentials);
    assert.equal((creds.idParam as unknown as { format?: string }).format, 'uuid');
    const services = entityResource(servicesDefinition as unknown as EntityDefinition);
    assert.equal((services.idParam as unknown as { format?: string }).format, undefined);
  });
});
