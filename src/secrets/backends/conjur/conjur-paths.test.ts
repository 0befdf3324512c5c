/**
 * Conjur URLs: the endpoint's path kept, the account, login and variable id each one
 * percent-encoded segment, `?version=N` only for Conjur's version numbers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conjurBase, conjurPaths } from './conjur-paths.js';

describe('conjurBase', () => {
  it('keeps origin and path, without trailing slashes', () => {
    for (const [input, base] of [
      ['https://conjur.example.com', 'https://conjur.example.com'],
      ['https://conjur.example.com/', 'https://conjur.example.com'],
      ['https://tenant.secretsmgr.cyberark.cloud/api//', 'https://tenant.secretsmgr.cyberark.cloud/api'],
      ['http://127.0.0.1:8080/conjur', 'http://127.0.0.1:8080/conjur'],
      ['HTTPS://Conjur.Example.COM:443', 'https://conjur.example.com'],
    ] as const) {
      assert.equal(conjurBase(input), base, input);
    }
  });

  it('refuses what is not a plain http(s) URL', () => {
    for (const input of [
      'conjur.example.com',
      'ftp://conjur.example.com',
      'https://',
      'https://u:p@conjur.example.com',
      'https://c.example.com?x=1',
      'https://c.example.com#f',
      'file:///etc/passwd',
    ]) {
      assert.equal(conjurBase(input), null, input);
    }
  });
});

describe('conjurPaths', () => {
  const paths = conjurPaths('https://c.example.com/api', 'my org', 'host/apps/gate way')!;

  it('authenticates at /authn/{account}/{login}/authenticate, the login one segment', () => {
    assert.equal(paths.authenticate, 'https://c.example.com/api/authn/my%20org/host%2Fapps%2Fgate%20way/authenticate');
  });

  it('reads /secrets/{account}/variable/{id} with the id one segment, and ?version=N', () => {
    for (const [id, version, url] of [
      ['prod/db/pass', null, 'prod%2Fdb%2Fpass'],
      ['alice@devops', null, 'alice%40devops'],
      ['a+b&c=d e', null, 'a%2Bb%26c%3Dd%20e'],
      ['x?y#z', '7', 'x%3Fy%23z?version=7'],
      ['%2F', null, '%252F'],
      ['..hidden/../x', '20', '..hidden%2F..%2Fx?version=20'],
      ['v', '1234567890', 'v?version=1234567890'],
    ] as const) {
      assert.equal(paths.variable(id, version), `https://c.example.com/api/secrets/my%20org/variable/${url}`, id);
    }
  });

  it('has no URL for an id or version that cannot be one', () => {
    for (const [id, version] of [
      ['', null],
      ['.', null],
      ['..', null],
      ['\udc00', null],
      ['v', '0'],
      ['v', '01'],
      ['v', '-1'],
      ['v', '1.0'],
      ['v', '12345678901'],
      ['v', '1&a=b'],
      ['v', ''],
    ] as const) {
      assert.equal(paths.variable(id, version), null, `${id} #${version}`);
    }
  });

  it('has no paths for an account or login that cannot be a segment', () => {
    for (const [account, login] of [
      ['', 'admin'],
      ['acct', ''],
      ['.', 'admin'],
      ['acct', '..'],
      ['acct', 'bad\ud800'],
    ] as const) {
      assert.equal(conjurPaths('https://c.example.com', account, login), null, `${account} ${login}`);
    }
  });
});
