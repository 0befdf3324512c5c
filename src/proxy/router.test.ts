import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import type { Route } from '../entities/routes.js';
import type { Service } from '../entities/services.js';
import { createRouter } from './router.js';
import { createEntityFactory } from './testing/entities.js';

const make = createEntityFactory();

function routerOf(routes: Route[], services: Service[] = []) {
  return createRouter(routes, new Map(services.map((s) => [s.id, s])));
}

function nameOf(router: ReturnType<typeof routerOf>, path: string, options: { method?: string; host?: string; headers?: IncomingHttpHeaders } = {}) {
  return router.match(options.method ?? 'GET', options.host ?? 'gateway.test', path, options.headers ?? {})?.route.name ?? null;
}

describe('createRouter: paths', () => {
  it('matches plain paths as prefixes, like Kong (so /echo also matches /echoes)', () => {
    const router = routerOf([make.route({ name: 'echo', paths: ['/echo'] })]);
    assert.equal(nameOf(router, '/echo'), 'echo');
    assert.equal(nameOf(router, '/echo/x'), 'echo');
    assert.equal(nameOf(router, '/echoes'), 'echo');
    assert.equal(nameOf(router, '/ech'), null);
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
    assert.deepEqual(pick(router.match('GET', 'h', '/apiary', {})), { strippedPath: '/ary', upstreamPath: '/base/ary' });
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
    assert.equal(router.match('GET', 'h', '/orphan', {})?.service, null);
  });
});

function pick(match: { strippedPath: string; upstreamPath: string } | null) {
  return match && { strippedPath: match.strippedPath, upstreamPath: match.upstreamPath };
}
