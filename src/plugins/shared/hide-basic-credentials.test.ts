import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hideBasicCredentials } from './hide-basic-credentials.js';

describe('hideBasicCredentials', () => {
  it('removes Authorization when it carries Basic credentials, in any case or form', () => {
    for (const value of ['Basic YTpi', 'basic YTpi', 'BASIC', ' Basic YTpi', 'Basic !!!', 'Basic,YTpi', ['Bearer t', 'Basic YTpi']]) {
      const headers: Record<string, string | string[] | undefined> = { authorization: value, accept: '*/*' };
      hideBasicCredentials(headers);
      assert.equal(headers['authorization'], undefined, String(value));
      assert.equal(headers['accept'], '*/*');
    }
  });

  it('keeps another scheme for the upstream', () => {
    for (const value of ['Bearer abc', 'Digest username="a"', 'Key basic']) {
      const headers: Record<string, string | string[] | undefined> = { authorization: value };
      hideBasicCredentials(headers);
      assert.equal(headers['authorization'], value);
    }
  });
});
