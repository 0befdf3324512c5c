/**
 * The route table behind 405 answers: which methods a concrete path has.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RouteOptions } from 'fastify';
import { createRouteTable } from './route-table.js';

const route = (method: string | string[], url: string) => ({ method, url, handler: () => undefined }) as unknown as RouteOptions;

describe('route table', () => {
  const table = createRouteTable();
  table.add(route('GET', '/'));
  table.add(route(['GET', 'HEAD'], '/services'));
  table.add(route('POST', '/services'));
  table.add(route('GET', '/services/:service'));
  table.add(route('DELETE', '/services/:service'));
  table.add(route('GET', '/services/:service/routes/:route'));
  table.add(route('GET', '/files/*'));

  it('collects the methods of every route matching a concrete path', () => {
    assert.deepEqual(table.methodsFor('/services'), ['GET', 'HEAD', 'POST']);
    assert.deepEqual(table.methodsFor('/services/echo'), ['DELETE', 'GET']);
    assert.deepEqual(table.methodsFor('/services/echo/routes/r1'), ['GET']);
  });

  it('ignores a trailing slash, as the router does', () => {
    assert.deepEqual(table.methodsFor('/services/'), ['GET', 'HEAD', 'POST']);
  });

  it('matches a parameter within one segment only, and the root exactly', () => {
    assert.deepEqual(table.methodsFor('/services/a/b'), []);
    assert.deepEqual(table.methodsFor('/'), ['GET']);
    assert.deepEqual(table.methodsFor('/nothing'), []);
  });

  it('treats regex characters in static segments literally and wildcards as anything', () => {
    assert.deepEqual(table.methodsFor('/servicesX'), []);
    assert.deepEqual(table.methodsFor('/files/a/b.txt'), ['GET']);
  });
});
