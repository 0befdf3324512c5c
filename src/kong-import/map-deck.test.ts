import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { createPluginRegistry, BUILTIN_PLUGINS } from '../plugins/registry.js';
import { mapDeck } from './map-deck.js';
import type { ImportPlan, PlannedEntity, PlannedKey } from './import-plan.js';

const NOW = Date.parse('2026-11-29T12:00:00Z') / 1000;
const registry = createPluginRegistry(BUILTIN_PLUGINS);
const FIXTURE = readFileSync(new URL('../../test/fixtures/kong/kong.yaml', import.meta.url), 'utf8');
const plan = (doc: unknown): ImportPlan => mapDeck(doc, { registry, nowSeconds: NOW });
const deck = (rest: Record<string, unknown>) => ({ _format_version: '3.0', ...rest });
const svc = (extra: Record<string, unknown> = {}) => ({ name: 'orders', url: 'http://orders.test', ...extra });
const entity = (p: ImportPlan, path: string) => p.items.find((i) => i.path === path) as PlannedEntity | undefined;

describe('mapDeck: the realistic fixture', () => {
  const p = plan(parse(FIXTURE));

  it('has no problems and plans services, routes, consumers, plugins and credentials in write order', () => {
    assert.deepEqual(p.problems, []);
    assert.deepEqual(
      p.items.map((i) => `${i.kind} ${i.path}`),
      [
        'service services[0]',
        'service services[1]',
        'route services[0].routes[0]',
        'route services[0].routes[1]',
        'route services[1].routes[0]',
        'route routes[0]',
        'consumer consumers[0]',
        'consumer consumers[1]',
        'consumer consumers[2]',
        'plugin services[0].plugins[0]',
        'plugin services[1].plugins[0]',
        'basic_auth consumers[2].basicauth_credentials[0]',
        'api_key consumers[0].keyauth_credentials[0]',
        'api_key consumers[0].keyauth_credentials[1]',
        'api_key consumers[1].keyauth_credentials[0]',
        'api_key consumers[2].keyauth_credentials[0]',
      ],
    );
  });

  it("keeps Kong's ids, a regex path with its ~, and refers nested routes to their service", () => {
    const route = entity(p, 'services[0].routes[1]')!;
    assert.equal(route.id, '7f0c3b1e-1d2a-4c5b-9e8f-0a1b2c3d4e12');
    assert.deepEqual(route.input['paths'], ['~/v2/orders/(?<id>[0-9]+)$']);
    assert.equal(route.input['regex_priority'], 10);
    assert.deepEqual(route.refs, { service: { plan: 'services[0]' } });
    assert.deepEqual(entity(p, 'routes[0]')!.refs, { service: { plan: 'services[1]' } }, 'a top-level route names its service');
  });

  it("writes Kong's key-auth defaults out, so clients keep sending keys where Kong read them", () => {
    const billing = entity(p, 'services[1].plugins[0]')!;
    assert.deepEqual(billing.input['config'], {
      key_names: ['x-billing-key'],
      key_in_header: true,
      key_in_query: true,
      key_in_body: false,
      hide_credentials: false,
      run_on_preflight: true,
    });
  });

  it('turns key-auth credentials into named keys of their consumer, a ttl into an expiry, and holds values as secrets', () => {
    const keys = p.items.filter((i): i is PlannedKey => i.kind === 'api_key');
    assert.equal(keys[0]!.name, 'kong-7f0c3b1e-1d2a-4c5b-9e8f-0a1b2c3d4e41');
    assert.deepEqual(keys[0]!.consumer, { plan: 'consumers[0]' });
    assert.equal(keys[0]!.expiresAt, null);
    assert.equal(keys[1]!.expiresAt, NOW + 31_536_000);
    assert.ok(!JSON.stringify(p).includes('alice-orders-key'), 'a plan printed shows no key value');
  });

  it('reports each part it does not migrate, with its path and why', () => {
    assert.deepEqual(
      p.unsupported.map((u) => [u.entity, u.path, u.skipped]),
      [
        ['plugin', 'services[0].plugins[1]', true],
        ['acls', 'consumers[0].acls[0]', true],
        ['basicauth_credential', 'consumers[1].basicauth_credentials[0]', true],
        ['_workspace', '_workspace', true],
        ['upstreams', 'upstreams[0]', true],
      ],
    );
    assert.match(p.unsupported[2]!.reason, /SHA-1/);
  });
});

describe('mapDeck: problems stop the import, each at its decK path', () => {
  const cases: { name: string; doc: unknown; path: string; message?: RegExp }[] = [
    { name: 'not a map', doc: ['services'], path: '(root)' },
    { name: 'no _format_version', doc: { services: [] }, path: '_format_version' },
    { name: 'an unknown _format_version', doc: { _format_version: '2.9' }, path: '_format_version' },
    { name: 'services not a list', doc: deck({ services: { name: 'x' } }), path: 'services', message: /list/ },
    { name: 'a service not an object', doc: deck({ services: [svc(), 'orders'] }), path: 'services[1]' },
    { name: 'a service name of the wrong type', doc: deck({ services: [svc({ name: 42 })] }), path: 'services[0].name' },
    { name: 'a port out of range', doc: deck({ services: [svc({ url: undefined, host: 'a.test', port: 70000 })] }), path: 'services[0].port' },
    { name: 'a service without a host', doc: deck({ services: [{ name: 'x', protocol: 'http' }] }), path: 'services[0].host' },
    {
      name: 'a bad path deep in a nested route',
      doc: deck({ services: [svc(), svc({ name: 'b', routes: [{ name: 'r', paths: ['/a', '/b', 'no-slash'] }] })] }),
      path: 'services[1].routes[0].paths[2]',
    },
    { name: 'a regex RE2 cannot compile', doc: deck({ services: [svc({ routes: [{ paths: ['~/(a'] }] })] }), path: 'services[0].routes[0].paths[0]' },
    { name: 'a route matching nothing', doc: deck({ services: [svc({ routes: [{ name: 'r' }] })] }), path: 'services[0].routes[0].paths' },
    {
      name: 'methods of the wrong type',
      doc: deck({ services: [svc({ routes: [{ paths: ['/a'], methods: 'GET' }] })] }),
      path: 'services[0].routes[0].methods',
    },
    { name: 'two services with one name', doc: deck({ services: [svc(), svc()] }), path: 'services[1].name', message: /services\[0\]/ },
    {
      name: 'two routes with one name across services',
      doc: deck({ services: [svc({ routes: [{ name: 'r', paths: ['/a'] }] })], routes: [{ name: 'r', paths: ['/b'], service: 'orders' }] }),
      path: 'routes[0].name',
    },
    { name: 'two consumers with one username', doc: deck({ consumers: [{ username: 'a' }, { username: 'a' }] }), path: 'consumers[1].username' },
    { name: 'a consumer with neither username nor custom_id', doc: deck({ consumers: [{ tags: ['x'] }] }), path: 'consumers[0].username' },
    {
      name: 'a key of the wrong type',
      doc: deck({ consumers: [{ username: 'a', keyauth_credentials: [{ key: 12345 }] }] }),
      path: 'consumers[0].keyauth_credentials[0].key',
    },
    {
      name: 'one key value twice (Kong refuses it too)',
      doc: deck({
        consumers: [
          { username: 'a', keyauth_credentials: [{ key: 'same-value-0123456789abcdef' }] },
          { username: 'b', keyauth_credentials: [{ key: 'same-value-0123456789abcdef' }] },
        ],
      }),
      path: 'consumers[1].keyauth_credentials[0].key',
      message: /consumers\[0\]\.keyauth_credentials\[0\]/,
    },
    {
      name: 'a negative ttl',
      doc: deck({ consumers: [{ username: 'a', keyauth_credentials: [{ key: 'k'.repeat(20), ttl: -5 }] }] }),
      path: 'consumers[0].keyauth_credentials[0].ttl',
    },
    {
      name: 'a basic-auth username with a colon',
      doc: deck({ consumers: [{ username: 'a', basicauth_credentials: [{ username: 'a:b', password: 'long-enough-password' }] }] }),
      path: 'consumers[0].basicauth_credentials[0].username',
    },
    {
      name: 'a key-auth config of the wrong type',
      doc: deck({ plugins: [{ name: 'key-auth', config: { key_names: 'apikey' } }] }),
      path: 'plugins[0].config.key_names',
    },
    { name: 'a plugin without a name', doc: deck({ plugins: [{ config: {} }] }), path: 'plugins[0].name' },
    {
      name: 'a Kong 2.x regex path in a "1.1" file (no ~)',
      doc: { _format_version: '1.1', services: [svc({ routes: [{ paths: ['/a', '/orders/\\d+$'] }] })] },
      path: 'services[0].routes[0].paths[1]',
      message: /deck file convert/,
    },
    { name: 'tags with a comma', doc: deck({ consumers: [{ username: 'a', tags: ['a,b'] }] }), path: 'consumers[0].tags[0]' },
  ];
  for (const c of cases) {
    it(`refuses ${c.name} at ${c.path}`, () => {
      const p = plan(c.doc);
      const found = p.problems.find((x) => x.path === c.path);
      assert.ok(found, `expected a problem at ${c.path}, got ${JSON.stringify(p.problems)}`);
      if (c.message) assert.match(found.message, c.message);
    });
  }

  it('accepts plain and ~ paths in a "1.1" file, and the same characters in a "3.0" file as plain text', () => {
    assert.deepEqual(plan({ _format_version: '1.1', services: [svc({ routes: [{ paths: ['/a/b', '~/c/[0-9]+'] }] })] }).problems, []);
    assert.deepEqual(plan(deck({ services: [svc({ routes: [{ paths: ['/files$'] }] })] })).problems, []);
  });

  it('reports every problem of a file in one pass', () => {
    const p = plan(deck({ services: [svc({ name: 1 }), svc({ name: 'b', port: 'x' })], consumers: [{}] }));
    assert.ok(p.problems.length >= 3, JSON.stringify(p.problems));
  });

  it('never quotes a key value in a problem', () => {
    const p = plan(deck({ consumers: [{ username: 'a', keyauth_credentials: [{ key: 'dup-secret-0123456789' }, { key: 'dup-secret-0123456789' }] }] }));
    assert.equal(p.problems.length, 1);
    assert.ok(!JSON.stringify(p.problems).includes('dup-secret'));
  });
});

describe('mapDeck: what is not migrated is reported and skipped (or imported without that part)', () => {
  const cases: { name: string; doc: unknown; entity: string; skipped: boolean; reason: RegExp }[] = [
    { name: 'a plugin Portcullis lacks', doc: deck({ plugins: [{ name: 'cors' }] }), entity: 'plugin', skipped: true, reason: /no "cors" plugin/ },
    { name: 'a gRPC service', doc: deck({ services: [{ name: 'g', protocol: 'grpc', host: 'g.test' }] }), entity: 'service', skipped: true, reason: /grpc/ },
    {
      name: 'a TCP route',
      doc: deck({ services: [svc({ routes: [{ name: 't', protocols: ['tcp'], destinations: [{ port: 1 }] }] })] }),
      entity: 'route',
      skipped: true,
      reason: /tcp/,
    },
    {
      name: 'an expressions route',
      doc: deck({ services: [svc({ routes: [{ name: 'e', expression: 'http.path == "/a"' }] })] }),
      entity: 'route',
      skipped: true,
      reason: /expressions/,
    },
    {
      name: 'a key shorter than 16 characters',
      doc: deck({ consumers: [{ username: 'a', keyauth_credentials: [{ key: 'my-key' }] }] }),
      entity: 'keyauth_credential',
      skipped: true,
      reason: /shorter than 16/,
    },
    {
      name: 'a key with a space',
      doc: deck({ consumers: [{ username: 'a', keyauth_credentials: [{ key: 'has a space in it 0123' }] }] }),
      entity: 'keyauth_credential',
      skipped: true,
      reason: /whitespace/,
    },
    {
      name: 'a key whose ttl ran out',
      doc: deck({ consumers: [{ username: 'a', keyauth_credentials: [{ key: 'k'.repeat(20), ttl: 60, created_at: NOW - 120 }] }] }),
      entity: 'keyauth_credential',
      skipped: true,
      reason: /ttl/,
    },
    {
      name: 'a hashed basic-auth password',
      doc: deck({ consumers: [{ username: 'a', basicauth_credentials: [{ username: 'a', password: 'a'.repeat(40) }] }] }),
      entity: 'basicauth_credential',
      skipped: true,
      reason: /SHA-1/,
    },
    { name: 'a JWT secret', doc: deck({ consumers: [{ username: 'a', jwt_secrets: [{ key: 'x' }] }] }), entity: 'jwt_secrets', skipped: true, reason: /JWT/ },
    { name: 'an upstream', doc: deck({ upstreams: [{ name: 'u' }] }), entity: 'upstreams', skipped: true, reason: /load balancing/ },
    { name: 'consumer groups', doc: deck({ consumer_groups: [{ name: 'gold' }] }), entity: 'consumer_groups', skipped: true, reason: /consumer groups/ },
    { name: 'an unknown top-level section', doc: deck({ partials: [{ name: 'p' }] }), entity: 'partials', skipped: true, reason: /not supported/ },
    {
      name: 'path_handling v1',
      doc: deck({ services: [svc({ routes: [{ paths: ['/a'], path_handling: 'v1' }] })] }),
      entity: 'route.path_handling',
      skipped: false,
      reason: /v0/,
    },
    {
      name: 'plugin ordering',
      doc: deck({ plugins: [{ name: 'key-auth', ordering: { before: { access: ['x'] } } }] }),
      entity: 'plugin.ordering',
      skipped: false,
      reason: /ordering/,
    },
    {
      name: 'request-termination echo',
      doc: deck({ plugins: [{ name: 'request-termination', config: { echo: true } }] }),
      entity: 'plugin request-termination config.echo',
      skipped: false,
      reason: /no plugin request-termination config field "echo"/,
    },
    {
      name: 'a regex path a prefix of another route takes first',
      doc: deck({
        services: [
          svc({
            routes: [
              { name: 'list', paths: ['/orders'] },
              { name: 'one', paths: ['~/orders/[0-9]+$'] },
            ],
          }),
        ],
      }),
      entity: 'route.paths',
      skipped: false,
      reason: /Kong tries regex paths before prefixes/,
    },
    {
      name: 'an unknown route field',
      doc: deck({ services: [svc({ routes: [{ paths: ['/a'], sources: [{ ip: '10.0.0.1' }] }] })] }),
      entity: 'route.sources',
      skipped: false,
      reason: /sources/,
    },
  ];
  for (const c of cases) {
    it(`reports ${c.name}`, () => {
      const p = plan(c.doc);
      assert.deepEqual(p.problems, []);
      const found = p.unsupported.find((u) => u.entity === c.entity);
      assert.ok(found, `expected ${c.entity} in ${JSON.stringify(p.unsupported)}`);
      assert.equal(found.skipped, c.skipped);
      assert.match(found.reason, c.reason);
    });
  }

  it("says nothing of Kong's defaults: buffering on, path_handling v0, plugin protocols", () => {
    const p = plan(
      deck({
        services: [svc({ routes: [{ paths: ['/a'], path_handling: 'v0', request_buffering: true, response_buffering: true }] })],
        plugins: [{ name: 'key-auth', protocols: ['grpc', 'grpcs', 'http', 'https'], config: { realm: null, anonymous: null } }],
      }),
    );
    assert.deepEqual(p.unsupported, []);
  });

  it('imports a basic-auth credential written in clear, and a plugin naming a consumer defined further on', () => {
    const p = plan(
      deck({
        plugins: [{ name: 'request-termination', consumer: 'late', config: { status_code: 403, message: 'no' } }],
        consumers: [{ username: 'late', basicauth_credentials: [{ username: 'late', password: 'correct-horse-battery' }] }],
      }),
    );
    assert.deepEqual(p.problems, []);
    assert.deepEqual(entity(p, 'plugins[0]')!.refs, { consumer: { plan: 'consumers[0]' } });
    assert.ok(p.items.some((i) => i.kind === 'basic_auth'));
  });
});
