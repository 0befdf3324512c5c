/** Tag definitions of the OpenAPI document (openapi-tags.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tagDefinitions } from './openapi-tags.js';

describe('tagDefinitions', () => {
  it('describes each known tag in its own words, in the order given', () => {
    const tags = tagDefinitions(['api-keys', 'node', 'keyring']);
    assert.deepEqual(
      tags.map((t) => t.name),
      ['api-keys', 'node', 'keyring'],
    );
    assert.equal(new Set(tags.map((t) => t.description)).size, 3);
    assert.match(tags[0]!.description, /API keys/);
  });

  it('gives a tag it does not know (an extra route) a description naming its paths', () => {
    assert.deepEqual(tagDefinitions(['widgets']), [{ name: 'widgets', description: 'The `/widgets` endpoints.' }]);
  });
});
