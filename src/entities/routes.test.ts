import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Value from 'typebox/value';
import { RouteInput, routesDefinition, type Route } from './routes.js';

const routeWith = (protocols: string[]) => ({ ...routesDefinition.defaults, paths: ['/p'], protocols }) as unknown as Route;

describe('route protocols', () => {
  it('accepts Kong’s six names in the input schema and refuses others', () => {
    for (const protocols of [['http'], ['https'], ['ws'], ['wss'], ['ws', 'wss'], ['grpc'], ['grpcs'], ['grpc', 'grpcs']]) {
      assert.equal(Value.Check(RouteInput, { protocols }), true, protocols.join());
    }
    for (const protocols of [['h2c'], ['grpc-web'], ['GRPC'], ['WS'], [], ['ws', 'ws'], ['grpc', 'grpc']]) {
      assert.equal(Value.Check(RouteInput, { protocols }), false, protocols.join());
    }
  });

  it('accepts one family per route', () => {
    for (const protocols of [['http', 'https'], ['https'], ['ws', 'wss'], ['wss'], ['ws'], ['grpc', 'grpcs'], ['grpcs'], ['grpc']]) {
      assert.deepEqual(routesDefinition.check!(routeWith(protocols)), [], protocols.join());
    }
  });

  it('refuses to mix the HTTP, WebSocket and gRPC families, naming the field', () => {
    for (const protocols of [
      ['http', 'ws'],
      ['https', 'wss'],
      ['ws', 'wss', 'http'],
      ['wss', 'https'],
      ['grpc', 'http'],
      ['https', 'grpcs'],
      ['grpcs', 'wss'],
      ['ws', 'grpc'],
      ['grpc', 'grpcs', 'http', 'https'],
    ]) {
      const errors = routesDefinition.check!(routeWith(protocols));
      assert.equal(errors.length, 1, protocols.join());
      assert.equal(errors[0]!.path, 'protocols');
    }
  });
});
