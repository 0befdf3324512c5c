import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkRouteProtocols, saysHttps } from './route-protocols.js';
import { createEntityFactory } from './testing/entities.js';

const make = createEntityFactory();

describe('checkRouteProtocols', () => {
  type Protocols = ('http' | 'https')[];
  const cases: [Protocols, boolean, string][] = [
    [['http', 'https'], false, 'allowed'],
    [['http', 'https'], true, 'allowed'],
    [['https'], true, 'allowed'],
    [['https'], false, 'https_required'],
    [['http'], false, 'allowed'],
    [['http'], true, 'no_route'],
  ];
  for (const [protocols, secure, expected] of cases) {
    it(`answers ${expected} for a route on ${protocols.join('+')} over ${secure ? 'TLS' : 'plain HTTP'}`, () => {
      assert.equal(checkRouteProtocols(make.route({ protocols }), secure), expected);
    });
  }
});

describe('saysHttps', () => {
  const cases: [string | string[] | undefined, boolean][] = [
    ['https', true],
    ['HTTPS', true],
    [' https ', true],
    ['http', false],
    ['https, http', false],
    ['', false],
    [undefined, false],
    [['https', 'https'], false],
  ];
  for (const [value, expected] of cases) {
    it(`reads ${JSON.stringify(value)} as ${expected ? 'HTTPS' : 'not HTTPS'}`, () => assert.equal(saysHttps(value), expected));
  }
});
