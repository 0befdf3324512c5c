/**
 * Path confinement through a real listener, with raw sockets so each request target reaches the
 * proxy byte for byte: every variant of `testing/confinement-cases.ts` either reaches the upstream
 * at the expected path (as the upstream's own `req.url` shows), or is answered 404, or is refused
 * with 400 `PC_PROXY_PATH_REFUSED` in JSON with an X-Request-Id, without the upstream seeing it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEntityFactory } from './testing/entities.js';
import { echoRequest, startProxy, startUpstream, type Echo, type TestProxy, type Upstream } from './testing/harness.js';
import { parseResponses, rawExchange, type RawResponse } from './testing/raw-http.js';
import { CONFINEMENT_CASES, confinementConfig } from './testing/confinement-cases.js';

const make = createEntityFactory();

describe('proxy server: path confinement over raw sockets', () => {
  let upstream: Upstream;
  let proxy: TestProxy;
  const seen: string[] = [];

  before(async () => {
    upstream = await startUpstream((req, res) => {
      seen.push(req.url ?? '');
      echoRequest(req, res);
    });
    const { services, routes } = confinementConfig(make, upstream.port);
    proxy = await startProxy({ services, routes, consumers: [], plugins: [] });
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  const get = async (target: string): Promise<RawResponse> => {
    const raw = await rawExchange(proxy.port, `GET ${target} HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n`);
    const [response] = parseResponses(raw);
    assert.ok(response, `no response to ${target}: ${JSON.stringify(raw)}`);
    return response;
  };

  const expectOutcome = async (target: string, expected: string) => {
    const before = seen.length;
    const res = await get(target);
    assert.ok(res.headers['x-request-id'], 'every answer carries an X-Request-Id');
    if (expected === 'refused' || expected === 'no route') {
      const [status, code] = expected === 'refused' ? [400, 'PC_PROXY_PATH_REFUSED'] : [404, 'PC_PROXY_NO_ROUTE'];
      assert.equal(res.status, status, res.body);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.equal((JSON.parse(res.body) as { code: string }).code, code);
      assert.equal(seen.length, before, 'the upstream saw nothing');
    } else {
      assert.equal(res.status, 200, res.body);
      assert.equal((JSON.parse(res.body) as Echo).url, expected);
    }
  };

  for (const [target, expected] of CONFINEMENT_CASES) {
    it(`GET ${target} → ${expected}`, () => expectOutcome(target, expected));
  }

  const wireOnly: [string, string][] = [
    ['/files/a%2Fb?next=..%2f..%2fx', '/s/a%2Fb?next=..%2f..%2fx'],
    ['http://gw.test/files/..%2fprivate', 'refused'],
    ['http://gw.test/rx../private', 'refused'],
    ['http://gw.test/files/ok', '/s/ok'],
    ['/files/a%2f..%2f..%2fp', 'refused'],
    ['/FILES/x', 'no route'],
  ];
  for (const [target, expected] of wireOnly) {
    it(`GET ${target} → ${expected} (query and absolute form)`, () => expectOutcome(target, expected));
  }
});
