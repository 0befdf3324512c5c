/**
 * The azure backend with client credentials: the official clients against the Entra ID and Key
 * Vault fakes (HTTPS, challenge-based auth). Managed identity is in its own files (the SDK picks
 * the managed-identity source once per process).
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { azureBackend } from './index.js';
import type { AzureBackendConfig } from './azure-config.js';
import type { VaultFailureKind } from '../../vault-backend.js';
import { sealAzureEnvironment } from '../../../../test/fakes/azure-identity.js';
import { capturingDeps, expectFailure, startAzureFakes, type AzureFakes } from '../../../../test/support/azure-fakes.js';

const signal = () => AbortSignal.timeout(10_000);
const VAULT_SCOPE = 'https://vault.azure.net/.default';
const VALUE = `value-${randomBytes(8).toString('hex')}`;

describe('azure backend with client credentials', () => {
  const tenantId = randomUUID();
  const clientId = randomUUID();
  const clientSecret = `fake-client-secret-${randomBytes(12).toString('base64url')}`;
  let fakes: AzureFakes;
  let config: AzureBackendConfig;
  /** What no error or log line may show: the client secret, every token issued, the stored value. */
  const secrets = () => [clientSecret, ...fakes.identity.issued, VALUE];

  before(async () => {
    sealAzureEnvironment();
    fakes = await startAzureFakes(tenantId, { apps: [{ tenantId, clientId, clientSecret }] });
    fakes.vault.setSecret('db-pass', VALUE);
    config = {
      vault_uri: fakes.vault.url,
      auth_method: 'client_secret',
      tenant_id: tenantId,
      client_id: clientId,
      client_secret: clientSecret,
      authority_host: fakes.identity.url,
      disable_challenge_resource_verification: true,
    };
  });
  after(() => fakes.close());
  afterEach(() => assert.deepEqual(fakes.vault.violations, [], 'the client skipped the challenge'));

  /** The requests each fake saw during `work`. */
  async function wire<T>(work: () => Promise<T>) {
    const [v, i] = [fakes.vault.requests.length, fakes.identity.requests.length];
    const result = await work();
    return { result, vault: fakes.vault.requests.slice(v), identity: fakes.identity.requests.slice(i) };
  }

  it('reads a secret through the challenge: no token on the first request, then a client-credentials token for the vault scope', async () => {
    const version = fakes.vault.setSecret('api-token', 'tok-1');
    const { result, vault, identity } = await wire(() => azureBackend.create(config, capturingDeps()).read('api-token', null, {}, signal()));
    assert.deepEqual(result, { value: 'tok-1', version });

    assert.equal(vault.length, 2);
    assert.equal(vault[0]!.headers.authorization, undefined, 'the first request carries no token');
    for (const r of vault)
      assert.match(r.path, /^\/secrets\/api-token\/\?api%2Dversion=[\w.-]+$/, 'the current version ends in a slash; api-version is encoded');
    assert.match(String(vault[1]!.headers.authorization), /^Bearer fake-entra\./);

    assert.deepEqual(
      identity.map((r) => `${r.method} ${r.path.replace(/\?.*/, '')}`),
      [`GET /${tenantId}/v2.0/.well-known/openid-configuration`, `POST /${tenantId}/oauth2/v2.0/token`],
    );
    const form = new URLSearchParams(identity[1]!.body);
    assert.equal(form.get('grant_type'), 'client_credentials');
    assert.equal(form.get('client_id'), clientId);
    assert.equal(form.get('scope'), VAULT_SCOPE);
    const grant = fakes.identity.introspect(String(vault[1]!.headers.authorization).slice('Bearer '.length));
    assert.deepEqual([grant?.tenantId, grant?.clientId, grant?.audience], [tenantId, clientId, 'https://vault.azure.net']);
  });

  it('reads an older version by #version, naming it in the path', async () => {
    const first = fakes.vault.setSecret('rotating', 'one');
    const second = fakes.vault.setSecret('rotating', 'two');
    const backend = azureBackend.create(config, capturingDeps());
    const { result, vault } = await wire(() => backend.read('rotating', first, {}, signal()));
    assert.deepEqual(result, { value: 'one', version: first });
    assert.ok(vault.every((r) => r.path.startsWith(`/secrets/rotating/${first}?`)));
    assert.deepEqual(await backend.read('rotating', null, {}, signal()), { value: 'two', version: second });
  });

  it('reuses one token for many reads: one challenge and one token call for twenty reads, ten of them at once', async () => {
    const backend = azureBackend.create(config, capturingDeps());
    const { vault, identity } = await wire(async () => {
      for (let i = 0; i < 10; i++) assert.equal((await backend.read('db-pass', null, {}, signal())).value, VALUE);
      await Promise.all(Array.from({ length: 10 }, () => backend.read('db-pass', null, {}, signal())));
    });
    assert.equal(identity.filter((r) => r.method === 'POST').length, 1, 'one token call');
    assert.equal(vault.filter((r) => r.headers.authorization === undefined).length, 1, 'one challenge');
    assert.equal(vault.length, 21);
  });

  it('gets a new token and reads once more when Key Vault refuses the cached one, logging no token', async () => {
    const deps = capturingDeps();
    const backend = azureBackend.create(config, deps);
    await backend.read('db-pass', null, {}, signal());
    fakes.identity.revokeTokens();
    const { result, identity } = await wire(() => backend.read('db-pass', null, {}, signal()));
    assert.equal(result.value, VALUE);
    assert.equal(identity.filter((r) => r.method === 'POST').length, 1, 'a new token was fetched');
    assert.equal(deps.lines.length, 1);
    assert.match(deps.lines[0]!, /refused the cached token/);
    assert.equal(JSON.parse(deps.lines[0]!).resource, 'db-pass');
    for (const s of secrets()) assert.ok(!deps.lines[0]!.includes(s), 'the log line shows a secret');
  });

  describe("failures are the right kind, name the secret and the service's code, and show no credential, token or value", () => {
    const otherTenant = randomUUID();
    const cases: {
      readonly title: string;
      readonly kind: VaultFailureKind;
      readonly mentions: readonly string[];
      readonly config?: Partial<AzureBackendConfig>;
      readonly resource?: string;
      readonly version?: () => string;
      readonly scenario?: () => () => void;
    }[] = [
      {
        title: 'a wrong client secret (AADSTS7000215)',
        kind: 'unauthorized',
        mentions: ['invalid_client', 'AADSTS7000215'],
        config: { client_secret: `${clientSecret}x` },
      },
      {
        title: 'an application the tenant does not know (AADSTS700016)',
        kind: 'unauthorized',
        mentions: ['unauthorized_client', 'AADSTS700016'],
        config: { client_id: randomUUID() },
      },
      { title: 'a vault in another tenant than tenant_id', kind: 'unauthorized', mentions: ['another tenant'], config: { tenant_id: otherTenant } },
      {
        title: 'an application without get permission (403 Forbidden)',
        kind: 'unauthorized',
        mentions: ['403 Forbidden AccessDenied'],
        scenario: () => (fakes.vault.allowClients([randomUUID()]), () => fakes.vault.allowClients(null)),
      },
      { title: 'a secret that does not exist (404)', kind: 'not_found', mentions: ['"no-such-secret"', '404 SecretNotFound'], resource: 'no-such-secret' },
      { title: 'a version that does not exist (404)', kind: 'not_found', mentions: ['404 SecretNotFound'], version: () => randomBytes(16).toString('hex') },
      {
        title: 'a disabled secret (403 SecretDisabled)',
        kind: 'not_found',
        mentions: ['disabled', 'SecretDisabled'],
        resource: 'disabled-secret',
        scenario: () => (fakes.vault.setSecret('disabled-secret', VALUE, { enabled: false }), () => undefined),
      },
      {
        title: 'throttling (429 with Retry-After)',
        kind: 'unavailable',
        mentions: ['429 Throttled'],
        scenario: () => (fakes.vault.failWith({ status: 429, code: 'Throttled', retryAfter: 30 }), () => fakes.vault.failWith(null)),
      },
      {
        title: 'a vault error (500)',
        kind: 'unavailable',
        mentions: ['500 InternalServerError'],
        scenario: () => (fakes.vault.failWith({ status: 500, code: 'InternalServerError' }), () => fakes.vault.failWith(null)),
      },
      {
        title: 'a service code that is not a code is not echoed (503)',
        kind: 'unavailable',
        mentions: ['503'],
        scenario: () => (fakes.vault.failWith({ status: 503, code: `leak ${VALUE}` }), () => fakes.vault.failWith(null)),
      },
      {
        title: 'Entra temporarily unavailable (503 temporarily_unavailable)',
        kind: 'unavailable',
        mentions: ['temporarily_unavailable'],
        scenario: () => (fakes.identity.failTokenRequests(503), () => fakes.identity.failTokenRequests(null)),
      },
      {
        title: 'an authority where nothing answers',
        kind: 'unavailable',
        mentions: ['endpoints_resolution_error'],
        config: { authority_host: 'https://127.0.0.1:1' },
      },
      { title: 'a vault where nothing answers', kind: 'unavailable', mentions: ['ECONNREFUSED'], config: { vault_uri: 'https://127.0.0.1:1' } },
      {
        title: 'an answer over 1 MiB',
        kind: 'unavailable',
        mentions: ['larger than 1048576 bytes'],
        resource: 'huge',
        scenario: () => (fakes.vault.setSecret('huge', 'x'.repeat(1024 * 1024 + 1)), () => undefined),
      },
    ];
    for (const c of cases) {
      it(`${c.title} → ${c.kind}`, async () => {
        const undo = c.scenario?.() ?? (() => undefined);
        try {
          const backend = azureBackend.create({ ...config, ...c.config }, capturingDeps());
          await expectFailure(backend.read(c.resource ?? 'db-pass', c.version?.() ?? null, {}, signal()), c.kind, c.mentions, secrets());
        } finally {
          undo();
        }
      });
    }
  });

  it('makes one request per read, without SDK retries, even for 429 with Retry-After and 500', async () => {
    const backend = azureBackend.create(config, capturingDeps());
    await backend.read('db-pass', null, {}, signal());
    for (const [status, code] of [
      [429, 'Throttled'],
      [500, 'InternalServerError'],
      [503, 'ServiceUnavailable'],
    ] as const) {
      fakes.vault.failWith({ status, code, retryAfter: 1 });
      try {
        const started = Date.now();
        const { vault } = await wire(() => expectFailure(backend.read('db-pass', null, {}, signal()), 'unavailable', [String(status)], secrets()));
        assert.equal(vault.length, 1, `${status}: one request`);
        assert.ok(Date.now() - started < 900, `${status}: no waiting for Retry-After`);
      } finally {
        fakes.vault.failWith(null);
      }
    }
  });

  it('refuses names and versions Key Vault cannot have as not_found, without a request', async () => {
    const backend = azureBackend.create(config, capturingDeps());
    const reads: [string, string | null][] = [
      ['db_pass', null],
      ['db.pass', null],
      ['db/pass', null],
      ['ünïcode', null],
      ['x'.repeat(128), null],
      ['', null],
      ['db-pass', 'latest'],
      ['db-pass', '1'],
      ['db-pass', 'g'.repeat(32)],
      ['db-pass', 'a'.repeat(33)],
      ['db-pass', '../../keys/k'],
    ];
    const { vault, identity } = await wire(async () => {
      for (const [name, version] of reads) await expectFailure(backend.read(name, version, {}, signal()), 'not_found', [], secrets());
    });
    assert.equal(vault.length + identity.length, 0);
  });

  describe('a read ends at its deadline, whatever hangs', () => {
    for (const [what, hang] of [
      ['Key Vault', (on: boolean) => fakes.vault.hang(on)],
      ['the Entra authority (which the SDK gives no abort signal)', (on: boolean) => fakes.identity.hang(on)],
    ] as const) {
      it(`${what} hangs: the resolver's signal ends the read in time, as unavailable`, async () => {
        const backend = azureBackend.create(config, capturingDeps());
        hang(true);
        try {
          const started = Date.now();
          await expectFailure(backend.read('db-pass', null, {}, AbortSignal.timeout(300)), 'unavailable', ['aborted'], secrets());
          assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
        } finally {
          hang(false);
        }
      });
    }

    it('Key Vault hangs and the signal never aborts: deps.timeout ends the read', async () => {
      const backend = azureBackend.create(config, capturingDeps(300));
      fakes.vault.hang(true);
      try {
        const started = Date.now();
        await expectFailure(backend.read('db-pass', null, {}, new AbortController().signal), 'unavailable', ['aborted'], secrets());
        assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
      } finally {
        fakes.vault.hang(false);
      }
    });
  });

  it('checks the vault host against the challenge unless told not to: a loopback vault is refused a token with the check on', async () => {
    const backend = azureBackend.create({ ...config, disable_challenge_resource_verification: false }, capturingDeps());
    const { vault, identity } = await wire(() =>
      expectFailure(backend.read('db-pass', null, {}, signal()), 'unauthorized', ['disable_challenge_resource_verification'], secrets()),
    );
    assert.equal(vault.length, 1, 'only the unauthenticated challenge request');
    assert.equal(identity.length, 0, 'no token is fetched for a vault the challenge does not match');
  });

  it('declares versions and no reference options', () => {
    assert.equal(azureBackend.supportsVersions, true);
    assert.deepEqual(azureBackend.referenceOptions, []);
  });
});
