/** Consumers: the clients that credentials (API keys, basic-auth) identify. */
import Type from 'typebox';
import type { BaseEntity, EntityDefinition } from './entity.js';
import { Tags } from './common-schemas.js';
import { SafeText } from '../schema/safe-text.js';

export interface Consumer extends BaseEntity {
  readonly username: string | null;
  readonly custom_id: string | null;
  readonly tags: readonly string[];
}

export const ConsumerInput = Type.Object(
  {
    // Human-chosen and unique: no invisible characters, stored and compared in NFC.
    username: Type.Optional(Type.Union([SafeText({ maxLength: 128 }), Type.Null()])),
    custom_id: Type.Optional(Type.Union([SafeText({ maxLength: 256 }), Type.Null()])),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);

export const consumersDefinition: EntityDefinition<Consumer> = {
  name: 'consumers',
  singular: 'consumer',
  endpointKey: 'username',
  inputSchema: ConsumerInput,
  fields: {
    username: { kind: 'string', unique: true },
    custom_id: { kind: 'string', unique: true },
    tags: { kind: 'json' },
  },
  defaults: { username: null, custom_id: null, tags: [] },
  check(consumer) {
    return consumer.username || consumer.custom_id ? [] : [{ path: 'username', message: 'a consumer needs a username or a custom_id' }];
  },
};
