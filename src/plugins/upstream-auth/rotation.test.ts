/**
 * Rotation on failure through a real proxy: the upstream refuses a credential, the plugin fetches
 * its references again (a small in-test PluginSecrets whose values the test changes) and the
 * proxy sends the request once more.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { send } from '../../proxy/testing/harness.js';
import { PortcullisError } from '../../errors/portcullis-error.js';
import { changingSecrets, startAuthProxy, type AuthProxy, type Received } from './testing/auth-proxy.js';
import { startTokenEndpoint } from '../../../test/fakes/oauth2-token-endpoint.js';
import { verifySigV4 } from '../../../test/support/sigv4-verifier.js';

const REF = '{vault://env/upstream-key}';

/** An upstream that accepts only `x-api-key: <current>`; its 401 body says which attempt it refused. */
function keyChecking(current: () => string) {
  let refusals = 0;
  return (r: Received) =>
    r.headers['x-api-key'] === current()
      ? { status: 200, body: `ok:${r.body.toString()}` }
      : { status: 401, body: `refused-${++refusals}`, headers: { 'x-refusal': String(refusals) } };
}

function headerFromReference(initial: string) {
  const vault = changingSecrets({ header_value: REF }, { header_value: initial });
  const config = { type: 'header', header_name: 'x-api-key', header_value: initial };
  return { vault, config };
}

describe('upstream-auth rotation on failure', () => {
  let proxy: AuthProxy;
  afterEach(() => proxy.close());

  it('re-resolves on 401 and retries once with the new value; the refused answer never reaches the client', async () => {
    const { vault, config } = headerFromReference('key-1');
    let accepted = 'key-1';
    proxy = await startAuthProxy(
      config,
      keyChecking(() => accepted),
      { secrets: vault.secrets },
    );
    assert.equal((await send(proxy.port, '/x')).status, 200);

    accepted = 'key-2';
    vault.set('header_value', 'key-2');
    const res = await send(proxy.port, '/x', { method: 'POST', body: 'the body' });
    assert.equal(res.status, 200);
    assert.equal(res.text, 'ok:the body');
    assert.equal(res.headers['x-refusal'], undefined);
    assert.deepEqual(
      proxy.received.slice(1).map((r) => [r.headers['x-api-key'], r.body.toString()]),
      [
        ['key-1', 'the body'],
        ['key-2', 'the body'],
      ],
    );
    assert.equal(vault.state.refetches, 1);
    assert.equal((await send(proxy.port, '/x')).status, 200, 'later requests use the new value at once');
    assert.equal(proxy.received.at(-1)!.headers['x-api-key'], 'key-2');
    assert.ok(!proxy.logs.join('\n').includes('key-2'));
  });

  it('sends the second answer to the client whatever it is, and never tries a third time', async () => {
    const { vault, config } = headerFromReference('key-1');
    proxy = await startAuthProxy(
      config,
      keyChecking(() => 'nobody-has-it'),
      { secrets: vault.secrets },
    );
    vault.set('header_value', 'key-2');
    const res = await send(proxy.port, '/x');
    assert.equal(res.status, 401);
    assert.equal(res.text, 'refused-2');
    assert.equal(res.headers['x-refusal'], '2');
    assert.equal(proxy.received.length, 2);
  });

  it('does not retry a streamed body: the refusal goes to the client, and the references are not fetched', async () => {
    const { vault, config } = headerFromReference('key-1');
    proxy = await startAuthProxy(
      config,
      keyChecking(() => 'key-2'),
      { secrets: vault.secrets, cooldownMs: 0 },
    );
    vault.set('header_value', 'key-2');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: proxy.port, path: '/up', method: 'POST', headers: { 'transfer-encoding': 'chunked' }, agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.write('chunk-1;');
      req.end('chunk-2');
    });
    assert.equal(status, 401);
    assert.equal(proxy.received.length, 1);
    assert.equal(vault.state.refetches, 0);

    const long = 'x'.repeat(64);
    const tooLong = await startAuthProxy(
      { ...config, max_buffered_body_size: 32 },
      keyChecking(() => 'key-2'),
      { secrets: vault.secrets },
    );
    try {
      assert.equal((await send(tooLong.port, '/up', { method: 'POST', body: long })).status, 401, 'a body longer than max_buffered_body_size streams');
      assert.equal(tooLong.received.length, 1);
    } finally {
      await tooLong.close();
    }
  });

  it('retries only the statuses in retry_on_status', async () => {
    const cases: [number[], number, boolean][] = [
      [[401], 401, true],
      [[401], 403, false],
      [[403], 403, true],
      [[403], 401, false],
      [[401, 403], 403, true],
      [[], 401, false],
    ];
    for (const [retryOn, refusal, retried] of cases) {
      const { vault, config } = headerFromReference('key-1');
      let accepted = 'key-2';
      vault.set('header_value', 'key-2');
      proxy = await startAuthProxy(
        { ...config, retry_on_status: retryOn },
        (r) => (r.headers['x-api-key'] === accepted ? { status: 200 } : { status: refusal }),
        {
          secrets: vault.secrets,
        },
      );
      const res = await send(proxy.port, '/x');
      const name = `${JSON.stringify(retryOn)} / ${refusal}`;
      assert.equal(res.status, retried ? 200 : refusal, name);
      assert.equal(proxy.received.length, retried ? 2 : 1, name);
      assert.equal(vault.state.refetches, retried ? 1 : 0, name);
      accepted = '';
      await proxy.close();
    }
    proxy = await startAuthProxy({ type: 'header', header_name: 'x-k', header_value: 'v' }, () => ({ status: 200 }));
  });

  it('relays the first answer as it was when the references cannot be resolved again, warning with the reference and code only', async () => {
    const { vault, config } = headerFromReference('key-1');
    proxy = await startAuthProxy(
      config,
      keyChecking(() => 'key-2'),
      { secrets: vault.secrets },
    );
    vault.set('header_value', 'key-2');
    vault.state.failing = new PortcullisError('PC_VAULT_UNAVAILABLE', { message: `The vault could not be reached for ${REF}` });
    const res = await send(proxy.port, '/x');
    assert.equal(res.status, 401);
    assert.equal(res.text, 'refused-1');
    assert.equal(proxy.received.length, 1);
    const warning = proxy.logs.find((l) => l.includes('could not be resolved again'));
    assert.ok(warning);
    const line = JSON.parse(warning) as Record<string, unknown>;
    assert.equal(line['level'], 'warn');
    assert.deepEqual(line['references'], [REF]);
    assert.equal(line['code'], 'PC_VAULT_UNAVAILABLE');
    assert.ok(!proxy.logs.join('\n').includes('key-1') && !proxy.logs.join('\n').includes('key-2'));
  });

  it('does not retry when the value came back unchanged, or cannot be sent (naming the field, not the value)', async () => {
    const { vault, config } = headerFromReference('key-1');
    proxy = await startAuthProxy(
      config,
      keyChecking(() => 'key-2'),
      { secrets: vault.secrets, cooldownMs: 0 },
    );
    assert.equal((await send(proxy.port, '/x')).status, 401);
    assert.equal(proxy.received.length, 1);
    assert.equal(vault.state.refetches, 1);

    vault.set('header_value', 'key-2\nInjected: yes');
    assert.equal((await send(proxy.port, '/x')).status, 401);
    assert.equal(proxy.received.length, 2);
    const warning = proxy.logs.find((l) => l.includes('cannot be used'));
    assert.ok(warning?.includes('header_value holds a character'));
    assert.ok(!warning?.includes('Injected'));
  });

  it('renews once for many requests refused together, and retries each of them', async () => {
    const { vault, config } = headerFromReference('key-1');
    let accepted = 'key-1';
    proxy = await startAuthProxy(
      config,
      keyChecking(() => accepted),
      { secrets: vault.secrets },
    );
    accepted = 'key-2';
    vault.set('header_value', 'key-2');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(proxy.port, `/x${i}`)));
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
    assert.equal(vault.state.refetches, 1);
  });

  it('renews at most once per cooldown while the upstream keeps refusing the current credentials', async () => {
    const { vault, config } = headerFromReference('key-1');
    const clock = { t: 1_000_000 };
    proxy = await startAuthProxy(
      config,
      keyChecking(() => 'nobody-has-it'),
      { secrets: vault.secrets, now: () => clock.t, cooldownMs: 1000 },
    );
    for (let i = 0; i < 3; i++) assert.equal((await send(proxy.port, '/x')).status, 401);
    assert.equal(vault.state.refetches, 1);
    clock.t += 1001;
    await send(proxy.port, '/x');
    assert.equal(vault.state.refetches, 2);
  });

  it('drops a refused OAuth2 token and retries with a new one, without references', async () => {
    const idp = await startTokenEndpoint({ clientId: 'c', clientSecret: 's' });
    try {
      proxy = await startAuthProxy({ type: 'oauth2_client_credentials', token_url: idp.tokenUrl, client_id: 'c', client_secret: 's' }, (r) =>
        idp.isValid(r.headers.authorization) ? { status: 200 } : { status: 401 },
      );
      assert.equal((await send(proxy.port, '/x')).status, 200);
      idp.revokeAll();
      assert.equal((await send(proxy.port, '/x')).status, 200);
      assert.equal(idp.issued.length, 2);
      assert.equal(proxy.received.length, 3);
      assert.equal(proxy.received.at(-1)!.headers.authorization, `Bearer ${idp.issued[1]}`);
    } finally {
      await idp.close();
    }
  });

  it('fetches a rotated OAuth2 client secret again and gets a token with it', async () => {
    const idp = await startTokenEndpoint({ clientId: 'c', clientSecret: 'secret-1' });
    try {
      const vault = changingSecrets({ client_secret: '{vault://aws/idp-secret}' }, { client_secret: 'secret-1' });
      proxy = await startAuthProxy(
        { type: 'oauth2_client_credentials', token_url: idp.tokenUrl, client_id: 'c', client_secret: 'secret-1' },
        (r) => (idp.isValid(r.headers.authorization) ? { status: 200 } : { status: 401 }),
        { secrets: vault.secrets },
      );
      assert.equal((await send(proxy.port, '/x')).status, 200);
      idp.setClientSecret('secret-2');
      idp.revokeAll();
      vault.set('client_secret', 'secret-2');
      assert.equal((await send(proxy.port, '/x')).status, 200);
      assert.equal(vault.state.refetches, 1);
      assert.equal(idp.requests.at(-1)!.clientAuth, 'basic');
      assert.ok(!proxy.logs.join('\n').includes('secret-2'));
    } finally {
      await idp.close();
    }
  });

  it('signs the retry with re-resolved AWS keys', async () => {
    const keys = { accessKeyId: 'AKID1', secretAccessKey: 'secret-key-1' };
    let accepted = keys;
    const vault = changingSecrets(
      { access_key_id: '{vault://aws/ak}', secret_access_key: '{vault://aws/sk}' },
      { access_key_id: 'AKID1', secret_access_key: 'secret-key-1' },
    );
    const verdicts: boolean[] = [];
    proxy = await startAuthProxy(
      { type: 'aws_sigv4', access_key_id: 'AKID1', secret_access_key: 'secret-key-1', region: 'us-east-1', service: 'lambda' },
      // The verdict is computed after the fact; the upstream accepts by access key id alone.
      (r) => (String(r.headers.authorization).includes(`Credential=${accepted.accessKeyId}/`) ? { status: 200 } : { status: 401 }),
      { secrets: vault.secrets },
    );
    accepted = { accessKeyId: 'AKID2', secretAccessKey: 'secret-key-2' };
    vault.set('access_key_id', 'AKID2');
    vault.set('secret_access_key', 'secret-key-2');
    const res = await send(proxy.port, '/2015-03-31/functions/f/invocations', { method: 'POST', body: '{"a":1}' });
    assert.equal(res.status, 200);
    for (const [r, k] of [
      [proxy.received[0]!, keys],
      [proxy.received[1]!, accepted],
    ] as const) {
      const verdict = await verifySigV4(r, { ...k, region: 'us-east-1', service: 'lambda' });
      verdicts.push(verdict.ok);
    }
    assert.deepEqual(verdicts, [true, true]);
  });
});
