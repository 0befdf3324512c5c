import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPluginRegistry } from '../registry.js';
import { requestTerminationPlugin, terminationOutcome } from './handler.js';
import type { PluginDefinition } from '../plugin.js';
import { createEntityFactory } from '../../proxy/testing/entities.js';
import { echoRequest, send, startProxy, startUpstream, type TestProxy, type Upstream } from '../../proxy/testing/harness.js';

const registry = createPluginRegistry([requestTerminationPlugin as PluginDefinition]);

describe('request-termination: config', () => {
  it('defaults to status 503', () => {
    assert.deepEqual(registry.validateConfig('request-termination', {}), { config: { status_code: 503 }, errors: [] });
  });

  it('refuses a status outside 100–599 and unknown fields', () => {
    const { errors } = registry.validateConfig('request-termination', { status_code: 600, echo: true });
    assert.deepEqual(errors.map((e) => e.path).sort(), ['config.echo', 'config.status_code']);
  });
});

describe('request-termination: outcome', () => {
  it('rejects with PC_PROXY_REQUEST_TERMINATED and the configured message', () => {
    assert.deepEqual(terminationOutcome({ status_code: 403, message: 'closed for maintenance' }), {
      kind: 'reject',
      status: 403,
      code: 'PC_PROXY_REQUEST_TERMINATED',
      message: 'closed for maintenance',
    });
  });

  it('responds with a raw body and its content type when body is set', () => {
    const outcome = terminationOutcome({ status_code: 200, body: '<h1>bye</h1>', content_type: 'text/html' });
    assert.equal(outcome.kind, 'respond');
    assert.deepEqual(outcome.kind === 'respond' && outcome.headers, { 'content-type': 'text/html' });
    assert.equal(outcome.kind === 'respond' && String(outcome.body), '<h1>bye</h1>');
  });

  it('prepares one outcome per configuration, shared by every request', () => {
    const instance = requestTerminationPlugin.create({ status_code: 503 }, {} as never);
    assert.equal(instance.access?.({} as never), instance.access?.({} as never));
  });
});

describe('request-termination: end to end through the proxy', () => {
  const make = createEntityFactory();
  let upstream: Upstream;
  let proxy: TestProxy;
  let upstreamHits = 0;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      upstreamHits++;
      echoRequest(req, res);
    });
    const service = make.service({ port: upstream.port });
    const closed = make.route({ paths: ['/closed'], service: { id: service.id } });
    const html = make.route({ paths: ['/html'], service: { id: service.id } });
    proxy = await startProxy({
      services: [service],
      routes: [closed, html, make.route({ paths: ['/open'], service: { id: service.id } })],
      consumers: [],
      plugins: [
        make.plugin({ name: 'request-termination', route: { id: closed.id }, config: { status_code: 451, message: 'Unavailable here' } }),
        make.plugin({ name: 'request-termination', route: { id: html.id }, config: { status_code: 200, body: '<p>static</p>', content_type: 'text/html' } }),
      ],
    });
  });

  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('answers with the configured status and JSON error without calling the upstream', async () => {
    const res = await send(proxy.port, '/closed/x');
    assert.equal(res.status, 451);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(res.json(), { code: 'PC_PROXY_REQUEST_TERMINATED', message: 'Unavailable here' });
    assert.ok(res.headers['x-request-id']);
    assert.equal(upstreamHits, 0);
  });

  it('answers with a raw body when one is configured', async () => {
    const res = await send(proxy.port, '/html');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/html');
    assert.equal(res.text, '<p>static</p>');
  });

  it('leaves routes it is not attached to alone', async () => {
    const res = await send(proxy.port, '/open');
    assert.equal(res.status, 200);
    assert.equal(upstreamHits, 1);
  });
});
