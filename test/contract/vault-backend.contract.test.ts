/**
 * The one contract every secret backend passes (src/secrets/vault-backend.ts), each against its
 * stand-in: the real client (the official SDK for AWS, GCP and Azure; our own HTTP client for
 * Vault and Conjur) talking over loopback to a fake in test/fakes/, the real database for `store`,
 * the environment for `env`. Harnesses are found in ./vault-backends/*.harness.ts.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { VaultBackendError, type VaultFailureKind } from '../../src/secrets/vault-backend.js';
import type { BackendHarness, HarnessFactory } from './vault-backends/harness.js';

const folder = new URL('./vault-backends/', import.meta.url);
const harnessFiles = readdirSync(folder)
  .filter((f) => f.endsWith('.harness.ts'))
  .sort();

async function failure(promise: Promise<unknown>): Promise<VaultBackendError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof VaultBackendError, `expected a VaultBackendError, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
    return err;
  }
  assert.fail('expected the read to fail');
}

function assertKind(err: VaultBackendError, kind: VaultFailureKind, h: BackendHarness, values: readonly string[] = []): void {
  assert.equal(err.kind, kind, `${err.kind}: ${err.message}`);
  for (const secret of [...h.credentials, ...values]) {
    assert.ok(!err.message.includes(secret), `the error message leaks a secret: ${err.message}`);
    assert.ok(!String(err.stack).includes(secret), 'the error stack leaks a secret');
  }
}

const signal = () => AbortSignal.timeout(10_000);

it('finds a harness for every backend', () => {
  assert.ok(harnessFiles.length >= 1);
});

for (const file of harnessFiles) {
  const name = file.replace(/\.harness\.ts$/, '');
  describe(`vault backend contract: ${name}`, () => {
    let h: BackendHarness;
    before(async () => {
      const mod = (await import(new URL(file, folder).href)) as { default: HarnessFactory };
      h = await mod.default();
      assert.equal(h.factory.name, name, 'the harness file is named after its backend');
    });
    after(async () => h?.close());

    it('reads what was written, exactly (unicode, newlines, JSON text)', async () => {
      const backend = h.backend();
      for (const value of ['s3cr3t', 'ünïcødé ☃ 🔑', 'line one\nline two\n', '{"user":"app","password":"p@ss"}', ' padded ']) {
        const resource = h.resource();
        await h.write(resource, value);
        const read = await backend.read(resource, null, {}, signal());
        assert.equal(h.decode(read.value), value);
      }
      await backend.close?.();
    });

    it('a missing secret is not_found, naming the resource and no value', async () => {
      const backend = h.backend();
      const resource = h.resource();
      const err = await failure(backend.read(resource, null, {}, signal()));
      assertKind(err, 'not_found', h);
      await backend.close?.();
    });

    it('reads the newest value after an update, and older versions by #version where the backend has them', async () => {
      const backend = h.backend();
      const resource = h.resource();
      const first = `first-${randomBytes(4).toString('hex')}`;
      const second = `second-${randomBytes(4).toString('hex')}`;
      const v1 = await h.write(resource, first);
      assert.equal(h.decode((await backend.read(resource, null, {}, signal())).value), first);
      const v2 = await h.write(resource, second);
      assert.equal(h.decode((await backend.read(resource, null, {}, signal())).value), second);
      if (!h.factory.supportsVersions) {
        assert.equal(v1, undefined);
        return;
      }
      assert.ok(v1 && v2 && v1 !== v2, 'a versioned backend names each version');
      assert.equal(h.decode((await backend.read(resource, v1, {}, signal())).value), first);
      assert.equal(h.decode((await backend.read(resource, v2, {}, signal())).value), second);
      assert.ok(h.missingVersion, 'a versioned harness names a version that cannot exist');
      assertKind(await failure(backend.read(resource, h.missingVersion, {}, signal())), 'not_found', h, [first, second]);
      await backend.close?.();
    });

    it('refused credentials are unauthorized, and the error carries no credential', async (t) => {
      const resource = h.resource();
      const value = `v-${randomBytes(6).toString('hex')}`;
      await h.write(resource, value);
      const backend = h.backendWithBadCredentials();
      if (!backend) return t.diagnostic(`${name} has no credentials`);
      assertKind(await failure(backend.read(resource, null, {}, signal())), 'unauthorized', h, [value]);
      await backend.close?.();
    });

    it('an address where nothing answers is unavailable', async (t) => {
      const backend = h.backendUnreachable();
      if (!backend) return t.diagnostic(`${name} has no address`);
      assertKind(await failure(backend.read(h.resource(), null, {}, signal())), 'unavailable', h);
      await backend.close?.();
    });

    it('a stand-in that hangs: the read ends when its signal aborts, as unavailable', async (t) => {
      if (!h.hang) return t.diagnostic(`${name} cannot hang`);
      const resource = h.resource();
      await h.write(resource, 'x');
      const backend = h.backend();
      h.hang(true);
      try {
        const started = Date.now();
        assertKind(await failure(backend.read(resource, null, {}, AbortSignal.timeout(300))), 'unavailable', h);
        assert.ok(Date.now() - started < 5000, `the read took ${Date.now() - started} ms after its signal aborted`);
      } finally {
        h.hang(false);
      }
      await backend.close?.();
    });

    it('declares its reference options, none of which names an endpoint or a credential', () => {
      for (const option of h.factory.referenceOptions) {
        assert.doesNotMatch(
          option,
          /url|uri|host|endpoint|address|token|secret|password|key|credential|role|tenant|account|login|namespace|region|ca/i,
          option,
        );
      }
    });
  });
}
