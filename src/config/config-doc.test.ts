import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderConfigReference } from './config-doc.js';

it('docs/configuration.md lists every configuration key as the schema defines it (run `npm run docs`)', () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  assert.ok(doc.includes(renderConfigReference()), 'docs/configuration.md is out of date: run `npm run docs`');
});
