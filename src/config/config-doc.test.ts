import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigReference } from './config-doc.js';
import { renderExampleConfig } from './config-example.js';
import { envName, loadConfig } from './load-config.js';
import { ConfigSchema } from './schema.js';

const EXAMPLE = fileURLToPath(new URL('../../portcullis.example.yaml', import.meta.url));

/** Every key path of the schema, nested objects' keys included: `api_keys.cache_ttl`. */
function keyPaths(schema: { properties?: Record<string, unknown> }, path: string[] = []): string[][] {
  return Object.entries(schema.properties ?? {}).flatMap(([key, sub]) => {
    const s = sub as { type?: string; properties?: Record<string, unknown> };
    return s.type === 'object' && s.properties ? [[...path, key], ...keyPaths(s, [...path, key])] : [[...path, key]];
  });
}

it('docs/configuration.md lists every configuration key as the schema defines it (run `npm run docs`)', () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  assert.ok(doc.includes(renderConfigReference()), 'docs/configuration.md is out of date: run `npm run docs`');
});

describe('portcullis.example.yaml', () => {
  const text = readFileSync(EXAMPLE, 'utf8');

  it('is the file the schema generates (run `npm run docs`)', () => {
    assert.equal(text, renderExampleConfig(), 'portcullis.example.yaml is out of date: run `npm run docs`');
  });

  it('names every key of the schema, set or commented out, with its environment variable', () => {
    const lines = text.split('\n');
    for (const path of keyPaths(ConfigSchema as never)) {
      const key = path.at(-1)!;
      const indent = '  '.repeat(path.length - 1);
      const at = lines.findIndex((l) => l.startsWith(`${indent}${key}:`) || l === `${indent}# ${key}:`);
      assert.notEqual(at, -1, `${path.join('.')} is missing`);
      assert.ok(
        lines
          .slice(Math.max(0, at - 8), at)
          .join(' ')
          .includes(envName(path)),
        `${path.join('.')}: no ${envName(path)} in its comment`,
      );
    }
  });

  it('loads as it is, and gives the same configuration as no file at all', () => {
    assert.deepEqual(loadConfig({ file: EXAMPLE, env: {} }), loadConfig({ env: {} }));
  });
});
