import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import { createRowCodec } from './row-codec.js';
import { checkEntityDefinition, type EntityDefinition, type FieldDef } from '../entities/entity.js';
import { createTestCipher } from './testing/test-cipher.js';
import { createKeyringHolder, generateKey, withKeys } from '../keyring/keyring.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import { unreadableError } from './unreadable.js';
import type { DialectName } from './dialect.js';

const ID = '0b9a6c1e-3f2d-4c5b-8a7e-112233445566';

function definition(fields: Record<string, FieldDef>, extra: Partial<EntityDefinition> = {}): EntityDefinition {
  return { name: 'plugins', singular: 'thing', inputSchema: Type.Object({}), fields, ...extra };
}

const ENCRYPTED_KINDS: { kind: FieldDef['kind']; value: unknown }[] = [
  { kind: 'string', value: 'pa$$wörd with ünïcode' },
  { kind: 'string', value: '' },
  { kind: 'integer', value: 0 },
  { kind: 'integer', value: -42 },
  { kind: 'integer', value: 9_007_199_254_740_991 },
  { kind: 'boolean', value: true },
  { kind: 'boolean', value: false },
  { kind: 'json', value: { nested: { list: [1, 'two', null, false] } } },
  { kind: 'json', value: ['a', 'b'] },
  { kind: 'json', value: 'a string as JSON' },
  { kind: 'timestamp', value: 1_700_000_000 },
];

describe('row codec encryption', () => {
  for (const dialect of ['sqlite', 'postgres'] as DialectName[]) {
    for (const { kind, value } of ENCRYPTED_KINDS) {
      it(`round-trips an encrypted ${kind} (${JSON.stringify(value)}) with its type on ${dialect}, storing only $ke$1$`, () => {
        const codec = createRowCodec(definition({ secret: { kind, encrypted: true } }), dialect, createTestCipher());
        const row = codec.encode({ id: ID, created_at: 1, updated_at: 2, secret: value });
        assert.match(String(row['secret']), /^\$ke\$1\$-[A-Za-z0-9]{8}-[0-9a-f]{24}-[0-9a-f]{32,}$/);
        // The plaintext must not appear in the sealed bytes. Only the last segment is checked: the key id
        // is random letters and digits and may spell a short word such as "ru" by chance.
        const sealed = Buffer.from(String(row['secret']).split('-').at(-1) ?? '', 'hex');
        for (const form of new Set([String(value), JSON.stringify(value)])) {
          if (Buffer.byteLength(form) >= 4) assert.equal(sealed.indexOf(Buffer.from(form)), -1, `sealed bytes contain ${form}`);
        }
        assert.deepEqual(codec.decode(row)['secret'], value);
      });
    }
  }

  it('keeps null encrypted fields null (nothing to hide)', () => {
    const codec = createRowCodec(definition({ secret: { kind: 'string', encrypted: true } }), 'sqlite', createTestCipher());
    const row = codec.encode({ id: ID, created_at: 1, updated_at: 2, secret: null });
    assert.equal(row['secret'], null);
    assert.equal(codec.decode(row)['secret'], null);
  });

  it('reads a value written before encryption existed as plaintext, and encrypts it on the next write', () => {
    const codec = createRowCodec(
      definition({ s: { kind: 'string', encrypted: true }, b: { kind: 'boolean', encrypted: true }, n: { kind: 'integer', encrypted: true } }),
      'sqlite',
      createTestCipher(),
    );
    const legacy = { id: ID, created_at: 1, updated_at: 2, s: 'old-plaintext', b: 1, n: 7 };
    const read = codec.decode(legacy);
    assert.deepEqual([read['s'], read['b'], read['n']], ['old-plaintext', true, 7]);
    const rewritten = codec.encode(read);
    for (const f of ['s', 'b', 'n']) assert.match(String(rewritten[f]), /^\$ke\$1\$-/);
    assert.deepEqual(codec.decode(rewritten), read);
  });

  it('binds each value to its entity, field and row: a value moved elsewhere fails PC_KEYRING_DECRYPT_FAILED', () => {
    const cipher = createTestCipher();
    const codec = createRowCodec(definition({ a: { kind: 'string', encrypted: true }, b: { kind: 'string', encrypted: true } }), 'sqlite', cipher);
    const row = codec.encode({ id: ID, created_at: 1, updated_at: 2, a: 'alpha', b: 'beta' });
    const moves = [
      { ...row, a: row['b'] }, // to another field
      { ...row, id: '0b9a6c1e-3f2d-4c5b-8a7e-000000000000' }, // to another row
    ];
    for (const moved of moves)
      assert.throws(
        () => codec.decode(moved),
        (err: unknown) => err instanceof PortcullisError && err.code === 'PC_KEYRING_DECRYPT_FAILED',
      );
    const otherEntity = createRowCodec({ ...definition({ a: { kind: 'string', encrypted: true } }), name: 'services' }, 'sqlite', cipher);
    assert.throws(
      () => otherEntity.decode(row),
      (err: unknown) => err instanceof PortcullisError && err.code === 'PC_KEYRING_DECRYPT_FAILED',
    );
  });

  it('encrypts the nested paths of a JSON field one by one and decrypts every $ke$ string in it', () => {
    const cipher = createTestCipher();
    const nested = { field: 'config', paths: () => [['password'], ['servers', '*', 'token'], ['absent']] };
    const codec = createRowCodec(definition({ config: { kind: 'json' } }), 'sqlite', cipher, nested);
    const config = { password: 'p1', keep: 'visible', servers: [{ token: 't1', host: 'a' }, { token: 't2' }], other: { password: 'not-flagged' } };
    const row = codec.encode({ id: ID, created_at: 1, updated_at: 2, config });
    const stored = JSON.parse(String(row['config']));
    assert.match(stored.password, /^\$ke\$1\$-/);
    assert.match(stored.servers[0].token, /^\$ke\$1\$-/);
    assert.match(stored.servers[1].token, /^\$ke\$1\$-/);
    assert.equal(stored.keep, 'visible');
    assert.equal(stored.servers[0].host, 'a');
    assert.equal(stored.other.password, 'not-flagged');
    assert.deepEqual(codec.decode(row)['config'], config);
    // a ciphertext moved to another path of the same field does not decrypt
    const moved = { ...row, config: JSON.stringify({ ...stored, keep: stored.password }) };
    assert.throws(
      () => codec.decode(moved),
      (err: unknown) => err instanceof PortcullisError && err.code === 'PC_KEYRING_DECRYPT_FAILED',
    );
  });

  it('in tolerant mode marks an entity whose key is missing as unreadable, keeps its other fields, and never returns ciphertext', () => {
    const writer = createTestCipher();
    const codec = createRowCodec(definition({ s: { kind: 'string', encrypted: true }, name: { kind: 'string' } }), 'sqlite', writer);
    const row = codec.encode({ id: ID, created_at: 1, updated_at: 2, s: 'secret', name: 'visible' });
    const holder = createKeyringHolder();
    const other = generateKey(1);
    holder.replace(withKeys(holder.current(), [other], other.id));
    const reader = createRowCodec(definition({ s: { kind: 'string', encrypted: true }, name: { kind: 'string' } }), 'sqlite', createTestCipher(holder));
    assert.throws(
      () => reader.decode(row),
      (err: unknown) => err instanceof PortcullisError && err.code === 'PC_KEYRING_KEY_MISSING' && err.message.includes(writer.holder.current().active!),
    );
    const tolerant = reader.decode(row, { tolerant: true });
    assert.equal(tolerant['s'], undefined);
    assert.equal(tolerant['name'], 'visible');
    assert.equal(unreadableError(tolerant)?.code, 'PC_KEYRING_KEY_MISSING');
    assert.equal(unreadableError(codec.decode(row)), undefined);
  });
});

describe('checkEntityDefinition', () => {
  const refused: [string, EntityDefinition][] = [
    ['unique', definition({ name: { kind: 'string', unique: true, encrypted: true } })],
    ['endpoint key', definition({ name: { kind: 'string', encrypted: true } }, { endpointKey: 'name' })],
    ['unique together', definition({ a: { kind: 'string', encrypted: true }, b: { kind: 'string' } }, { uniqueTogether: [['a', 'b']] })],
    ['foreign', definition({ owner: { kind: 'foreign', foreign: 'consumers', encrypted: true } })],
  ];
  for (const [why, def] of refused) {
    it(`refuses a field that is encrypted and ${why}`, () => {
      assert.throws(() => checkEntityDefinition(def), /encrypted/);
    });
  }
  it('refuses a list of ids that is not a plain JSON field', () => {
    assert.throws(() => checkEntityDefinition(definition({ cas: { kind: 'string', foreignList: 'ca_certificates' } })), /lists ids/);
    assert.throws(() => checkEntityDefinition(definition({ cas: { kind: 'json', encrypted: true, foreignList: 'ca_certificates' } })), /lists ids/);
    checkEntityDefinition(definition({ cas: { kind: 'json', foreignList: 'ca_certificates' } }));
  });
  it('accepts encrypted fields that are never compared', () => {
    checkEntityDefinition(
      definition({ a: { kind: 'string', encrypted: true }, b: { kind: 'json', encrypted: true }, c: { kind: 'string', unique: true } }, { endpointKey: 'c' }),
    );
  });
});
