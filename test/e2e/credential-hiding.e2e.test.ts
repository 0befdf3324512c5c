/**
 * Credentials through the real CLI: what the upstream receives when key-auth and basic-auth are
 * combined (with `anonymous`, Kong's logical OR, and without it), when a key is sent where the
 * plugin does not read it, and when one body carries several keys. Real API keys and basic-auth
 * credentials over the Admin API, a real echo upstream.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { admin, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { startEchoUpstream, type Echo, type EchoUpstream } from './support/upstream.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const PASSWORD = 'correct horse battery staple';

interface Call {
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly type?: string;
}

describe('credentials forwarded upstream, through the real CLI', () => {
  let node: CliNode;
  let upstream: EchoUpstream;
  let key = '';
  let other = '';
  let carolBasic = '';

  before(async () => {
    upstream = await startEchoUpstream();
    node = await startCliNode(writeConfig());
    await admin(node, 'POST', '/services', { name: 'echo', url: upstream.url });
    for (const username of ['alice', 'carol', 'guest']) await admin(node, 'POST', '/consumers', { username });
    key = (await admin(node, 'POST', '/consumers/alice/api-keys', { name: 'main' })).body.api_key;
    other = (await admin(node, 'POST', '/consumers/alice/api-keys', { name: 'other' })).body.api_key;
    assert.equal((await admin(node, 'POST', '/consumers/carol/basic-auth', { username: 'carol', password: PASSWORD })).status, 201);
    carolBasic = basic('carol', PASSWORD);

    const route = async (name: string, plugins: { name: string; config?: Record<string, unknown> }[]) => {
      await admin(node, 'POST', '/services/echo/routes', { name, paths: [`/${name}`] });
      for (const plugin of plugins) assert.equal((await admin(node, 'POST', `/routes/${name}/plugins`, plugin)).status, 201, `${name} ${plugin.name}`);
    };
    await route('or', [
      { name: 'key-auth', config: { anonymous: 'guest' } },
      { name: 'basic-auth', config: { anonymous: 'guest' } },
    ]);
    await route('or-kept', [
      { name: 'key-auth', config: { anonymous: 'guest', hide_credentials: false } },
      { name: 'basic-auth', config: { anonymous: 'guest', hide_credentials: false } },
    ]);
    await route('and', [{ name: 'key-auth' }, { name: 'basic-auth' }]);
    await route('query-reader', [{ name: 'key-auth', config: { key_in_header: false, key_in_query: true } }]);
    await route('body-reader', [{ name: 'key-auth', config: { key_in_body: true } }]);
  });
  after(async () => {
    await node.stop();
    await upstream.close();
  });

  const call = async ({ path, headers = {}, body, type }: Call) => {
    const res = await fetch(`${node.proxyUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: type === undefined ? headers : { ...headers, 'content-type': type },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    return { status: res.status, requestId: res.headers.get('x-request-id')!, echo: res.status === 200 ? (JSON.parse(text) as Echo) : null };
  };

  /** True when a credential value reached the upstream anywhere: URL, headers or body. */
  const leaked = (echo: Echo, values: string[]) => {
    const seen = `${echo.url}\n${JSON.stringify(echo.headers)}\n${echo.body}`;
    return values.filter((v) => seen.includes(v) || seen.includes(encodeURIComponent(v)));
  };

  it('forwards no credential with hide_credentials, whichever plugin authenticates and wherever the key is', async () => {
    const basicToken = () => carolBasic.slice(6);
    const cases: { label: string; call: () => Call; consumer: string }[] = [
      {
        label: 'key valid, Basic valid (basic-auth skips)',
        call: () => ({ path: '/or', headers: { 'x-api-key': key, authorization: carolBasic } }),
        consumer: 'alice',
      },
      {
        label: 'key valid, Basic wrong (basic-auth skips)',
        call: () => ({ path: '/or', headers: { apikey: key, authorization: basic('carol', 'x') } }),
        consumer: 'alice',
      },
      { label: 'key wrong, Basic valid', call: () => ({ path: '/or', headers: { 'x-api-key': `${key}x`, authorization: carolBasic } }), consumer: 'carol' },
      {
        label: 'Basic valid, key in the query (not read there)',
        call: () => ({ path: `/or/x?a=1&apikey=${key}`, headers: { authorization: carolBasic } }),
        consumer: 'carol',
      },
      {
        label: 'Basic valid, key in an encoded query name',
        call: () => ({ path: `/or/x?api%6bey=${key}&a=1`, headers: { authorization: carolBasic } }),
        consumer: 'carol',
      },
      { label: 'Basic valid, key as apikey[]', call: () => ({ path: `/or/x?apikey[]=${key}`, headers: { authorization: carolBasic } }), consumer: 'carol' },
      {
        label: 'Basic valid, key in an underscore header',
        call: () => ({ path: '/or', headers: { x_api_key: key, authorization: carolBasic } }),
        consumer: 'carol',
      },
      {
        label: 'Basic valid, key in a form body',
        call: () => ({ path: '/or', headers: { authorization: carolBasic }, body: `a=1&apikey=${key}`, type: 'application/x-www-form-urlencoded' }),
        consumer: 'carol',
      },
      {
        label: 'key valid, key again in a JSON body, Basic valid',
        call: () => ({ path: '/or', headers: { 'x-api-key': key, authorization: carolBasic }, body: `{"a":1,"apikey":"${key}"}`, type: 'application/json' }),
        consumer: 'alice',
      },
      {
        label: 'no valid credential, a key in a JSON body under an escaped name',
        call: () => ({ path: '/or', body: `{"api\\u006bey":"${key}"}`, type: 'application/json' }),
        consumer: 'guest',
      },
      { label: 'both required (no anonymous)', call: () => ({ path: '/and', headers: { 'x-api-key': key, authorization: carolBasic } }), consumer: 'carol' },
      {
        label: 'key read from the query, also sent in a header',
        call: () => ({ path: `/query-reader?apikey=${key}`, headers: { 'x-api-key': other } }),
        consumer: 'alice',
      },
    ];
    for (const { label, call: make, consumer } of cases) {
      const { status, echo } = await call(make());
      assert.equal(status, 200, label);
      assert.equal(echo!.headers['x-consumer-username'], consumer, label);
      assert.deepEqual(leaked(echo!, [key, other, basicToken()]), [], label);
      assert.equal(echo!.headers.authorization, undefined, label);
    }
  });

  it('keeps the other parts of the request as they were', async () => {
    const { echo } = await call({
      path: `/or/x?a=1&apikey=${key};b=2`,
      headers: { authorization: carolBasic },
      body: `{"a":12345678901234567890,"apikey":"${key}"}`,
      type: 'application/json',
    });
    assert.equal(echo!.url, '/x?a=1;b=2');
    assert.equal(echo!.body, '{"a":12345678901234567890}');
  });

  it('keeps a non-Basic Authorization for the upstream when basic-auth skips', async () => {
    const { echo } = await call({ path: '/or', headers: { 'x-api-key': key, authorization: 'Bearer upstream-token' } });
    assert.equal(echo!.headers['x-consumer-username'], 'alice');
    assert.equal(echo!.headers.authorization, 'Bearer upstream-token');
  });

  it('forwards both credentials with hide_credentials off', async () => {
    const { echo } = await call({ path: '/or-kept', headers: { 'x-api-key': key, authorization: carolBasic } });
    assert.equal(echo!.headers['x-api-key'], key);
    assert.equal(echo!.headers.authorization, carolBasic);
  });

  it('refuses a multipart body that carries a key part, and streams a clean one', async () => {
    const form = new FormData();
    form.append('a', '1');
    form.append('apikey', key);
    const refused = await fetch(`${node.proxyUrl}/or`, { method: 'POST', headers: { authorization: carolBasic }, body: form });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { code: string }).code, 'PC_BAD_REQUEST');
    const clean = new FormData();
    clean.append('a', '1');
    const ok = await fetch(`${node.proxyUrl}/or`, { method: 'POST', headers: { authorization: carolBasic }, body: clean });
    assert.equal(ok.status, 200);
    assert.match(((await ok.json()) as Echo).body, /name="a"/);
  });

  it('with key_in_body, refuses a body that carries two different keys like two different key headers', async () => {
    const form = 'application/x-www-form-urlencoded';
    const json = 'application/json';
    const cases: { label: string; call: () => Call; status: number; reason?: string }[] = [
      {
        label: 'two different key headers',
        call: () => ({ path: '/body-reader', headers: { apikey: key, 'x-api-key': other } }),
        status: 401,
        reason: 'two_different_keys',
      },
      {
        label: 'form field twice',
        call: () => ({ path: '/body-reader', body: `apikey=${key}&apikey=${other}`, type: form }),
        status: 401,
        reason: 'two_different_keys',
      },
      {
        label: 'form field, encoded name',
        call: () => ({ path: '/body-reader', body: `apikey=${key}&api%6bey=${other}`, type: form }),
        status: 401,
        reason: 'two_different_keys',
      },
      {
        label: 'form field and header',
        call: () => ({ path: '/body-reader', headers: { 'x-api-key': other }, body: `apikey=${key}`, type: form }),
        status: 401,
        reason: 'two_different_keys',
      },
      {
        label: 'JSON member twice',
        call: () => ({ path: '/body-reader', body: `{"apikey":"${key}","apikey":"${other}"}`, type: json }),
        status: 401,
        reason: 'two_different_keys',
      },
      {
        label: 'JSON escaped duplicate',
        call: () => ({ path: '/body-reader', body: `{"apikey":"${key}","api\\u006bey":"${other}"}`, type: json }),
        status: 401,
        reason: 'two_different_keys',
      },
      { label: 'JSON number', call: () => ({ path: '/body-reader', body: '{"apikey":1234}', type: json }), status: 401, reason: 'key_not_a_string' },
      { label: 'JSON array', call: () => ({ path: '/body-reader', body: `{"apikey":["${key}"]}`, type: json }), status: 401, reason: 'key_not_a_string' },
      {
        label: 'JSON nested key not counted',
        call: () => ({ path: '/body-reader', body: `{"apikey":"${key}","o":{"apikey":"${other}"}}`, type: json }),
        status: 200,
      },
      { label: 'form same value twice', call: () => ({ path: '/body-reader', body: `apikey=${key}&apikey=${key}`, type: form }), status: 200 },
      { label: 'JSON same value twice', call: () => ({ path: '/body-reader', body: `{"apikey":"${key}","apikey":"${key}"}`, type: json }), status: 200 },
    ];
    for (const { label, call: make, status, reason } of cases) {
      const res = await call(make());
      assert.equal(res.status, status, label);
      if (reason !== undefined) {
        const line = await logLine(node, res.requestId);
        assert.ok(line, `${label}: logged`);
        assert.equal((JSON.parse(line) as { reason: string }).reason, reason, label);
        assert.ok(!line.includes(key) && !line.includes(other), `${label}: no key in the log`);
      } else {
        assert.equal(res.echo!.headers['x-consumer-username'], 'alice');
        assert.deepEqual(leaked(res.echo!, [key]), [], `${label}: the read key is removed`);
      }
    }
  });
});

/** The "credentials refused" log line of a request (logs arrive shortly after the answer). */
async function logLine(node: CliNode, requestId: string): Promise<string | undefined> {
  for (let waited = 0; waited < 2000; waited += 20) {
    const line = node.logs.find((l) => l.includes(requestId) && l.includes('credentials refused'));
    if (line !== undefined) return line;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}
