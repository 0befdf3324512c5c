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
      assert.equal(checkRouteProtocols(make.route({ protocols }), secure, handshake ? 'websocket' : 'http'), expected);
    });
  }
});

describe('checkRouteProtocols for gRPC calls and the other families', () => {
  type Protocols = ('http' | 'https' | 'ws' | 'wss' | 'grpc' | 'grpcs')[];
  const cases: [Protocols, boolean, 'http' | 'websocket' | 'grpc', string][] = [
    [['grpc', 'grpcs'], false, 'grpc', 'allowed'],
    [['grpc', 'grpcs'], true, 'grpc', 'allowed'],
    [['grpc'], false, 'grpc', 'allowed'],
    [['grpc'], true, 'grpc', 'no_route'],
    [['grpcs'], true, 'grpc', 'allowed'],
    [['grpcs'], false, 'grpc', 'https_required'],
    // A gRPC call to an HTTP route, and a request to a gRPC route: as if no route matched.
    [['http', 'https'], false, 'grpc', 'no_route'],
    [['https'], true, 'grpc', 'no_route'],
    [['grpc', 'grpcs'], false, 'http', 'no_route'],
    [['grpcs'], true, 'http', 'no_route'],
    [['ws', 'wss'], false, 'grpc', 'websocket_required'],
    [['grpc', 'grpcs'], false, 'websocket', 'websocket_refused'],
  ];
  for (const [protocols, secure, family, expected] of cases) {
    it(`answers ${expected} for a ${family} request to a route on ${protocols.join('+')} over ${secure ? 'TLS' : 'plain HTTP'}`, () => {
      assert.equal(checkRouteProtocols(make.route({ protocols }), secure, family), expected);
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
