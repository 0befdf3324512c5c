/** Which Host values name the loopback interface (the token-less Admin API answers only those). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackAuthority } from './loopback-host.js';

describe('isLoopbackAuthority', () => {
  const loopback = [
    'localhost',
    'localhost:8001',
    'LOCALHOST:8001',
    'LocalHost',
    'admin.localhost',
    'a.b-c.localhost:1',
    '127.0.0.1',
    '127.0.0.1:8001',
    '127.255.255.254:65535',
    '127.1.2.3',
    '[::1]',
    '[::1]:8001',
  ];
  for (const host of loopback) it(`accepts ${host}`, () => assert.equal(isLoopbackAuthority(host), true));

  const refused = [
    undefined,
    '',
    'evil.com',
    'evil.com:8001',
    'localhost.evil.com',
    'localhost.',
    'localhost..',
    'localhostx',
    'xlocalhost',
    '-a.localhost',
    '.localhost',
    '127.0.0.1.nip.io',
    '127.0.0.1.evil.com:8001',
    '128.0.0.1',
    '127.0.0.256',
    '127.1',
    '127.000.000.001',
    '2130706433',
    '0x7f.0.0.1',
    '0.0.0.0',
    '10.0.0.1',
    '[::ffff:127.0.0.1]',
    '[0:0:0:0:0:0:0:1]',
    '::1',
    '[::1',
    'localhost:',
    'localhost:80:80',
    'localhost:abc',
    'user@localhost',
    'localhost/x',
    'localhost evil.com',
    `${'a.'.repeat(200)}localhost`,
  ];
  for (const host of refused) it(`refuses ${JSON.stringify(host)}`, () => assert.equal(isLoopbackAuthority(host), false));
});
