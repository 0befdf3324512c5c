/**
 * decK consumers and their credentials. Consumers map one to one. A key-auth credential becomes an
 * **external API key** of its consumer: its value is kept (clients need not change anything) and
 * hashed at import; Kong's `ttl` becomes the key's expiry. A basic-auth credential is imported only
 * when its password is in clear (a hand-written file): a decK dump holds Kong's salted SHA-1 of the
 * password, which Portcullis cannot and will not verify, so those are reported for a reset.
 */
import { consumersDefinition } from '../entities/consumers.js';
import { BasicAuthCredentialInput } from '../entities/basicauth-credentials.js';
import { parseApiKey, MIN_EXTERNAL_KEY_LENGTH, MAX_PRESENTED_KEY_LENGTH } from '../apikeys/key-format.js';
import { createValidator } from '../schema/validator.js';
import { Secret } from '../observability/secret.js';
import { at, deckPath, type DeckObject } from './deck-path.js';
import { leftoverFields } from './leftover-fields.js';
import { kongId, type MapContext } from './map-context.js';
import type { PlanRef } from './import-plan.js';
import { mapPlugins } from './map-plugins.js';

/** What Kong's basic-auth stores: SHA-1 (40 hex) of password ‖ consumer id. */
const KONG_SHA1_HASH = /^[0-9a-f]{40}$/;
/** Consumer-level collections Portcullis has no equivalent for, with what to do instead. */
const UNSUPPORTED_CREDENTIALS: Readonly<Record<string, string>> = {
  acls: 'ACL groups are not supported: restrict routes by giving each its own key-auth plugin and keys',
  jwt_secrets: 'JWT credentials are not supported',
  hmacauth_credentials: 'HMAC credentials are not supported',
  oauth2_credentials: 'OAuth 2 credentials are not supported',
  mtls_auth_credentials: 'mTLS credentials are not supported',
  groups: 'consumer groups are not supported',
};
const basicAuthValidator = createValidator(BasicAuthCredentialInput);

export function mapConsumer(ctx: MapContext, consumer: DeckObject, path: string): void {
  const username = ctx.reader.string(consumer, 'username', path);
  const customId = ctx.reader.string(consumer, 'custom_id', path);
  const label = username ?? customId ?? path;
  ctx.labels.set(path, label);
  const input: Record<string, unknown> = {};
  if (username !== undefined) input['username'] = username;
  if (customId !== undefined) input['custom_id'] = customId;
  if (consumer['tags'] != null) input['tags'] = consumer['tags'];
  if (ctx.checker.check(consumersDefinition, input, path)) {
    ctx.items.consumer.push({ kind: 'consumer', path, label, id: kongId(consumer['id']), input, refs: {} });
  }
  for (const [field, reason] of Object.entries(UNSUPPORTED_CREDENTIALS)) {
    ctx.reader.list(consumer, field, path).forEach((_, i) => ctx.skip(field, label, at(at(path, field), i), reason));
  }
  ctx.unsupported.push(
    ...leftoverFields(consumer, {
      entity: 'consumer',
      name: label,
      path,
      used: ['username', 'custom_id', 'tags', 'plugins', 'keyauth_credentials', 'basicauth_credentials', ...Object.keys(UNSUPPORTED_CREDENTIALS)],
    }),
  );
  const self: PlanRef = { plan: path };
  for (const k of ctx.reader.objects(consumer, 'keyauth_credentials', path)) mapKey(ctx, k.value, k.path, k.index, self, label);
  for (const b of ctx.reader.objects(consumer, 'basicauth_credentials', path)) mapBasicAuth(ctx, b.value, b.path, self, label);
  for (const p of ctx.reader.objects(consumer, 'plugins', path)) mapPlugins(ctx, p.value, p.path, { consumer: self });
}

function mapKey(ctx: MapContext, cred: DeckObject, path: string, index: number, consumer: PlanRef, owner: string): void {
  const value = cred['key'];
  if (typeof value !== 'string' || value === '') return ctx.reader.problem(at(path, 'key'), 'is required (a string)');
  const id = kongId(cred['id']);
  const name = id ? `kong-${id}` : `kong-key-${index + 1}`;
  const label = `${name} of consumer ${owner}`;
  const parsed = parseApiKey(value);
  if (parsed.kind === 'malformed') return ctx.skip('keyauth_credential', label, path, keyRefusal(parsed.reason));
  const ttl = cred['ttl'];
  if (ttl != null && (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0))
    return ctx.reader.problem(at(path, 'ttl'), 'must be a whole number of seconds');
  const createdAt = typeof cred['created_at'] === 'number' ? cred['created_at'] : ctx.nowSeconds;
  const expiresAt = typeof ttl === 'number' && ttl > 0 ? createdAt + ttl : null;
  if (expiresAt !== null && expiresAt <= ctx.nowSeconds)
    return ctx.skip('keyauth_credential', label, path, 'its ttl has run out: the key no longer works in Kong');
  ctx.unsupported.push(...leftoverFields(cred, { entity: 'keyauth_credential', name: label, path, used: ['key', 'ttl', 'consumer'] }));
  ctx.items.api_key.push({ kind: 'api_key', path, label, id, consumer, name, value: new Secret(value), expiresAt });
}

function keyRefusal(reason: string): string {
  if (reason === 'too_short')
    return `the key is shorter than ${MIN_EXTERNAL_KEY_LENGTH} characters: Portcullis refuses guessable external keys; give this consumer a new key`;
  if (reason === 'too_long') return `the key is longer than ${MAX_PRESENTED_KEY_LENGTH} characters`;
  return `Portcullis would refuse this key when presented (${reason.replace(/_/g, ' ')}); give this consumer a new key`;
}

function mapBasicAuth(ctx: MapContext, cred: DeckObject, path: string, consumer: PlanRef, owner: string): void {
  const username = ctx.reader.string(cred, 'username', path);
  const password = ctx.reader.string(cred, 'password', path);
  const label = `${username ?? path} of consumer ${owner}`;
  if (username === undefined) return ctx.reader.problem(at(path, 'username'), 'is required');
  if (password === undefined) return ctx.reader.problem(at(path, 'password'), 'is required');
  if (KONG_SHA1_HASH.test(password)) {
    return ctx.skip(
      'basicauth_credential',
      label,
      path,
      "the password is Kong's salted SHA-1 hash (what a decK dump holds), not the password: set a new one with POST /consumers/{consumer}/basic-auth",
    );
  }
  const tags = cred['tags'] ?? [];
  const errors = basicAuthValidator.errors({ username, password, tags });
  // The validator's messages describe the rule, never the value.
  for (const e of errors) ctx.reader.problem(deckPath(path, e.path), e.message);
  if (errors.length > 0) return;
  ctx.unsupported.push(...leftoverFields(cred, { entity: 'basicauth_credential', name: label, path, used: ['username', 'password', 'tags', 'consumer'] }));
  ctx.items.basic_auth.push({
    kind: 'basic_auth',
    path,
    label,
    id: kongId(cred['id']),
    consumer,
    username,
    password: new Secret(password),
    tags: tags as string[],
  });
}
