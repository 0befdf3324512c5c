import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openApiServers } from './openapi-servers.js';

describe('the OpenAPI servers of a node', () => {
  const cases: { listen: string; tls: string; urls: string[]; hosts: string[] }[] = [
    { listen: '127.0.0.1:8001', tls: 'off', urls: ['http://{host}:8001'], hosts: ['127.0.0.1'] },
    { listen: '0.0.0.0:9001', tls: 'off', urls: ['http://{host}:9001'], hosts: ['127.0.0.1'] },
    { listen: '[::]:8001', tls: '[::1]:8444', urls: ['http://{host}:8001', 'https://{host}:8444'], hosts: ['[::1]', '[::1]'] },
    { listen: 'localhost:8001', tls: '10.0.0.5:8444', urls: ['http://{host}:8001', 'https://{host}:8444'], hosts: ['localhost', '10.0.0.5'] },
  ];
  for (const c of cases) {
    it(`lists ${c.listen} and TLS ${c.tls} as the node's own listeners`, () => {
      const servers = openApiServers({ admin_listen: c.listen, admin_listen_tls: c.tls });
      assert.deepEqual(
        servers.map((s) => s.url),
        c.urls,
      );
      assert.deepEqual(
        servers.map((s) => s.variables.host.default),
        c.hosts,
      );
    });
  }
});
