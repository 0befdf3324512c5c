import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderErrorTable } from './errors-doc.js';
import { ERROR_CATALOGUE } from './catalogue.js';

it('docs/errors.md lists every code of the catalogue with its status and message (run `npm run docs`)', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  assert.ok(doc.includes(renderErrorTable()), 'docs/errors.md is out of date: run `npm run docs`');
});

it('every code is PC_-prefixed, upper snake case, with a 4xx or 5xx status', () => {
  for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
    assert.match(code, /^PC_[A-Z0-9_]+$/);
    assert.ok(entry.status >= 400 && entry.status < 600, code);
  }
});
