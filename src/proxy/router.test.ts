import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import type { Route } from '../entities/routes.js';
import type { Service } from '../entities/services.js';
import { createRouter, PATH_REFUSED, type RouteMatch } from './router.js';
import { normalizePath } from './normalize-path.js';
import { createEntityFactory } from './testing/entities.js';
import { CONFINEMENT_CASES, confinementConfig } from './testing/confinement-cases.js';
import { CATASTROPHIC_PATTERNS } from './testing/catastrophic-patterns.js';

const make = createEntityFactory();

function routerOf(routes: Route[], services: Service[] = []) {
  return createRouter(routes, new Map(services.map((s) => [s.id, s])));
}

function nameOf(router: ReturnType<typeof routerOf>, path: string, options: { method?: string; host?: string; headers?: IncomingHttpHeaders } = {}) {
  const found = router.match(options.method ?? 'GET', options.host ?? 'gateway.test', path, options.headers ?? {});
  return found === null || found === PATH_REFUSED ? null : (found as RouteMatch).route.name;
}

describe('createRouter: paths', () => {
  it('matches plain paths as prefixes at segment boundaries (unlike Kong, /echo does not match /echoes)', () => {
    const router = routerOf([make.route({ name: 'echo', paths: ['/echo'] }), make.route({ name: 'dir', paths: ['/dir/'] })]);
    assert.equal(nameOf(router, '/echo'), 'echo');
    assert.equal(nameOf(router, '/echo/'), 'echo');
    assert.equal(nameOf(router, '/echo/x'), 'echo');
    assert.equal(nameOf(router, '/echoes'), null);
    assert.equal(nameOf(router, '/echo-v2'), null);
    assert.equal(nameOf(router, '/echo..'), null);
    assert.equal(nameOf(router, '/ech'), null);
    assert.equal(nameOf(router, '/dir/x'), 'dir', 'a path ending in / matches what starts with it');
    assert.equal(nameOf(router, '/dir/'), 'dir');
    assert.equal(nameOf(router, '/dir'), null);
  });

  it('lets a regex path give the old plain-prefix behaviour, joining the rest below the service path', () => {
    const svc = make.service({ path: '/base' });
    const router = routerOf([make.route({ name: 'echo', paths: ['~/echo'], service: { id: svc.id } })], [svc]);
    assert.equal(nameOf(router, '/echoes'), 'echo');
    assert.deepEqual(pick(router.match('GET', 'h', '/echo-v2', {}) as RouteMatch), { strippedPath: '/-v2', upstreamPath: '/base/-v2' });
  });

  it('lets the longest plain prefix win whatever the creation order', () => {
    const router = routerOf([
      make.route({ name: 'root', paths: ['/'] }),
      make.route({ name: 'v1-users', paths: ['/api/v1/users'] }),
      make.route({ name: 'api', paths: ['/api'] }),
    ]);
    assert.equal(nameOf(router, '/api/v1/users/7'), 'v1-users');
    assert.equal(nameOf(router, '/api/v2'), 'api');
    assert.equal(nameOf(router, '/other'), 'root');
  });

  it('falls back to regex paths, anchored at the start, when no plain prefix matches', () => {
    const router = routerOf([make.route({ name: 'users', paths: ['/users'] }), make.route({ name: 'numeric', paths: ['~/items/\\d+$'] })]);
    assert.equal(nameOf(router, '/items/42'), 'numeric');
    assert.equal(nameOf(router, '/items/abc'), null);
    assert.equal(nameOf(router, '/x/items/42'), null, 'a regex is anchored at the start of the path');
    assert.equal(nameOf(router, '/users/42'), 'users');
  });

  it('prefers a plain prefix over a regex that also matches', () => {
    const router = routerOf([make.route({ name: 'regex', paths: ['~/a'] }), make.route({ name: 'plain', paths: ['/a'] })]);
    assert.equal(nameOf(router, '/a/b'), 'plain');
  });

  it('orders regexes by regex_priority, then by creation time', () => {
    const older = make.route({ name: 'older', paths: ['~/r'] });
    const newer = make.route({ name: 'newer', paths: ['~/r/\\d'] });
    assert.equal(nameOf(routerOf([newer, older]), '/r/1'), 'older');
    const urgent = make.route({ name: 'urgent', paths: ['~/r/\\d'], regex_priority: 10 });
    assert.equal(nameOf(routerOf([older, urgent]), '/r/1'), 'urgent');
  });

  it('treats a route without paths as matching any path, after every path route', () => {
    const router = routerOf([make.route({ name: 'posts', methods: ['POST'] }), make.route({ name: 'root', paths: ['/'] })]);
    assert.equal(nameOf(router, '/x', { method: 'POST' }), 'root');
    assert.equal(nameOf(routerOf([make.route({ name: 'posts', methods: ['POST'] })]), '/x', { method: 'POST' }), 'posts');
  });
});

describe('createRouter: hosts, methods and headers', () => {
  it('matches exact hosts case-insensitively and with any port unless the route names one', () => {
    const router = routerOf([make.route({ name: 'api', hosts: ['api.example.com'] }), make.route({ name: 'api-8443', hosts: ['api.example.com:8443'] })]);
    assert.equal(nameOf(router, '/', { host: 'API.example.com' }), 'api');
    assert.equal(nameOf(router, '/', { host: 'api.example.com:9000' }), 'api');
    assert.equal(nameOf(router, '/', { host: 'api.example.com:8443' }), 'api-8443');
    assert.equal(nameOf(router, '/', { host: 'www.example.com' }), null);
  });

  it('matches leading and trailing wildcard hosts', () => {
    const router = routerOf([make.route({ name: 'sub', hosts: ['*.example.com'] }), make.route({ name: 'tld', hosts: ['example.*'] })]);
    assert.equal(nameOf(router, '/', { host: 'a.example.com' }), 'sub');
    assert.equal(nameOf(router, '/', { host: 'a.b.example.com:8000' }), 'sub');
    assert.equal(nameOf(router, '/', { host: 'example.org' }), 'tld');
    assert.equal(nameOf(router, '/', { host: 'example.com' }), 'tld', '*.example.com needs a label before the suffix');
    assert.equal(nameOf(router, '/', { host: 'other.net' }), null);
  });

  it('prefers an exact host over a wildcard, and a wildcard over no host, before comparing paths', () => {
    const router = routerOf([
      make.route({ name: 'catch-all', paths: ['/api/long/prefix'] }),
      make.route({ name: 'wild', hosts: ['*.example.com'], paths: ['/api'] }),
      make.route({ name: 'exact', hosts: ['api.example.com'], paths: ['/'] }),
    ]);
    assert.equal(nameOf(router, '/api/long/prefix', { host: 'api.example.com' }), 'exact');
    assert.equal(nameOf(router, '/api/long/prefix', { host: 'www.example.com' }), 'wild');
    assert.equal(nameOf(router, '/api/long/prefix', { host: 'elsewhere.net' }), 'catch-all');
  });

  it('requires the request method to be one of the route methods', () => {
    const router = routerOf([make.route({ name: 'read', paths: ['/x'], methods: ['GET', 'HEAD'] })]);
    assert.equal(nameOf(router, '/x', { method: 'HEAD' }), 'read');
    assert.equal(nameOf(router, '/x', { method: 'DELETE' }), null);
  });

  it('requires each named header to carry one of its values, compared case-insensitively', () => {
    const router = routerOf([make.route({ name: 'v2', paths: ['/'], headers: { 'x-version': ['v2', 'V3'] } })]);
    assert.equal(nameOf(router, '/', { headers: { 'x-version': 'V2' } }), 'v2');
    assert.equal(nameOf(router, '/', { headers: { 'x-version': 'v1, v3' } }), 'v2', 'a repeated header matches on any value');
    assert.equal(nameOf(router, '/', { headers: { 'x-version': 'v1' } }), null);
    assert.equal(nameOf(router, '/'), null);
  });

  it('prefers the route with header or method conditions at the same path length', () => {
    const router = routerOf([
      make.route({ name: 'plain', paths: ['/a'] }),
      make.route({ name: 'get-only', paths: ['/a'], methods: ['GET'] }),
      make.route({ name: 'beta', paths: ['/a'], headers: { 'x-beta': ['1'] } }),
    ]);
    assert.equal(nameOf(router, '/a', { headers: { 'x-beta': '1' } }), 'beta');
    assert.equal(nameOf(router, '/a'), 'get-only');
    assert.equal(nameOf(router, '/a', { method: 'POST' }), 'plain');
  });
});

describe('createRouter: services and upstream paths', () => {
  it('strips the matched prefix and joins the rest to the service path with one slash', () => {
    const svc = make.service({ path: '/base' });
    const router = routerOf([make.route({ paths: ['/api'], service: { id: svc.id } })], [svc]);
    assert.deepEqual(pick(router.match('GET', 'h', '/api/users', {})), { strippedPath: '/users', upstreamPath: '/base/users' });
    assert.deepEqual(pick(router.match('GET', 'h', '/api', {})), { strippedPath: '/', upstreamPath: '/base' });
    assert.equal(router.match('GET', 'h', '/apiary', {}), null);
  });

  it('keeps the whole path when strip_path is off, and removes the matched part of a regex', () => {
    const svc = make.service({ path: '/s/' });
    const router = routerOf(
      [make.route({ paths: ['/keep'], strip_path: false, service: { id: svc.id } }), make.route({ paths: ['~/users/\\d+'], service: { id: svc.id } })],
      [svc],
    );
    assert.deepEqual(pick(router.match('GET', 'h', '/keep/x', {})), { strippedPath: '/keep/x', upstreamPath: '/s/keep/x' });
    assert.deepEqual(pick(router.match('GET', 'h', '/users/42/profile', {})), { strippedPath: '/profile', upstreamPath: '/s/profile' });
  });

  it('leaves out routes of disabled services and gives a null service for a missing one', () => {
    const off = make.service({ enabled: false });
    const router = routerOf(
      [make.route({ name: 'off', paths: ['/off'], service: { id: off.id } }), make.route({ name: 'orphan', paths: ['/orphan'], service: { id: 'gone' } })],
      [off],
    );
    assert.equal(router.match('GET', 'h', '/off', {}), null);
    assert.equal((router.match('GET', 'h', '/orphan', {}) as RouteMatch).service, null);
  });
});

describe('createRouter: path confinement (the upstream path stays inside the service path)', () => {
  const { services, routes } = confinementConfig(make);
  const router = routerOf(routes, services);

  /** The request path as sent → normalised → routed: the upstream path, 'no route' or 'refused'. */
  function upstreamOf(raw: string): string {
    const path = normalizePath(raw);
    if (path === null) return 'refused';
    const found = router.match('GET', 'h', path, {});
    if (found === null) return 'no route';
    return found === PATH_REFUSED ? 'refused' : (found as RouteMatch).upstreamPath;
  }

  for (const [raw, expected] of CONFINEMENT_CASES) {
    it(`${raw} → ${expected}`, () => assert.equal(upstreamOf(raw), expected));
  }

  it('keeps every accepted upstream path equal to its service path or below it at a segment boundary', () => {
    for (const [raw, expected] of CONFINEMENT_CASES) {
      if (expected === 'refused' || expected === 'no route') continue;
      const found = router.match('GET', 'h', normalizePath(raw)!, {}) as RouteMatch;
      const base = found.service!.path ?? '/';
      const inside = expected === base || expected.startsWith(base.endsWith('/') ? base : `${base}/`);
      assert.ok(inside, `${raw} → ${expected} is outside ${base}`);
      assert.ok(!/(^|\/)\.{1,2}(\/|$)/.test(expected), `${expected} holds a dot segment`);
    }
  });
});

function pick(match: RouteMatch | typeof PATH_REFUSED | null) {
  if (match === null || match === PATH_REFUSED) return match;
  const found = match as RouteMatch;
  return { strippedPath: found.strippedPath, upstreamPath: found.upstreamPath };
}

describe('createRouter: regex paths cannot be made slow (RE2)', () => {
  // Most of these patterns take V8's backtracking engine from 0.7 s to far beyond 20 s on their
  // 30-character path (bench/regex-routes.ts measures both engines); RE2 answers in microseconds.

  for (const [pattern, path] of CATASTROPHIC_PATTERNS) {
    it(`routes a ${path.length}-character path against ~${pattern} in well under a millisecond`, () => {
      const router = routerOf([make.route({ name: 'evil', paths: [`~${pattern}`] }), make.route({ name: 'root', paths: ['/'] })]);
      const cold = performance.now();
      assert.equal(nameOf(router, path), 'root');
      assert.ok(performance.now() - cold < 50, 'the first lookup, compilation caches cold');
      const runs = 200;
      const started = performance.now();
      for (let i = 0; i < runs; i++) assert.equal(nameOf(router, path), 'root');
      const perMatch = (performance.now() - started) / runs;
      // Generous so a loaded machine does not fail it; V8 takes seconds here. Measured: a few µs.
      assert.ok(perMatch < 1, `${perMatch.toFixed(4)} ms per lookup`);
    });
  }

  it('makes a stored pattern RE2 refuses match nothing instead of failing the whole configuration', () => {
    const router = routerOf([make.route({ name: 'lookahead', paths: ['~/(?=a)a'] }), make.route({ name: 'root', paths: ['/'] })]);
    assert.equal(nameOf(router, '/a'), 'root');
  });
});
