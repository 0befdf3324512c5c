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

describe('checkRouteProtocols for WebSocket handshakes and the other family', () => {
  type Protocols = ('http' | 'https' | 'ws' | 'wss')[];
  const cases: [Protocols, boolean, boolean, string][] = [
    [['ws', 'wss'], false, true, 'allowed'],
    [['ws', 'wss'], true, true, 'allowed'],
    [['ws'], false, true, 'allowed'],
    [['ws'], true, true, 'no_route'],
    [['wss'], true, true, 'allowed'],
    [['wss'], false, true, 'https_required'],
    [['http', 'https'], false, true, 'websocket_refused'],
    [['https'], true, true, 'websocket_refused'],
    [['http'], true, true, 'websocket_refused'],
    [['ws', 'wss'], false, false, 'websocket_required'],
    [['wss'], true, false, 'websocket_required'],
    [['ws'], true, false, 'websocket_required'],
  ];
  for (const [protocols, secure, handshake, expected] of cases) {
    it(`answers ${expected} for ${handshake ? 'a handshake' : 'a request'} to a route on ${protocols.join('+')} over ${secure ? 'TLS' : 'plain HTTP'}`, () => {
      assert.equal(checkRouteProtocols(make.route({ protocols }), secure, handshake), expected);
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
