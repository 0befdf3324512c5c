/**
 * Renders portcullis.example.yaml from the schema: every key with its description, default and
 * `PORTCULLIS_*` variable as comments, set to its default (keys without a default are commented
 * out), so the file loads as it is and says what the node does without it. `npm run docs`
 * writes it; src/config/config-doc.test.ts fails when it is out of date.
 */
import { ConfigSchema } from './schema.js';
import { envName } from './load-config.js';
import type { SchemaLike } from './config-doc.js';

const HEADER = `# Portcullis configuration: every key, set to its default.
# Generated from src/config/schema.ts by \`npm run docs\`: do not edit this copy; copy it, keep the keys
# you change and delete the rest (a key left out takes its default). docs/configuration.md has the
# same keys as a table. A PORTCULLIS_* environment variable wins over the file; any string value may
# be a {vault://...} reference (docs/secrets.md).`;

/** Words wrapped into comment lines of at most ~100 characters. */
function comment(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + word.length + 1 > 98 - indent.length) {
      lines.push(`${indent}# ${line}`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(`${indent}# ${line}`);
  return lines;
}

/** A default as YAML: JSON is valid YAML, and keeps strings like `off` or `0.0.0.0:8000` strings. */
const yamlValue = (value: unknown) => JSON.stringify(value);

function facts(s: SchemaLike, path: readonly string[]): string {
  const parts = [s.default === undefined ? 'No default (unset).' : `Default: ${yamlValue(s.default)}.`, `Environment: ${envName(path)}.`];
  if (s.anyOf?.every((a) => a.const !== undefined)) parts.push(`One of: ${s.anyOf.map((a) => String(a.const)).join(', ')}.`);
  if (s.maximum !== undefined) parts.push(`Range: ${s.minimum ?? ''}…${s.maximum}.`);
  else if (s.minimum !== undefined) parts.push(`At least ${s.minimum}.`);
  return parts.join(' ');
}

export function renderExampleConfig(): string {
  const out: string[] = [HEADER];
  const visit = (schema: SchemaLike, path: string[]) => {
    const indent = '  '.repeat(path.length);
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      const p = [...path, key];
      if (!/^\s*[a-z_]+:$/.test(out.at(-1)!)) out.push(''); // a blank line between keys, none under a parent
      out.push(...comment(sub.description ?? '', indent));
      if (sub.type === 'object' && sub.properties) {
        out.push(...comment(`Environment: each key below has its own variable (${envName([...p, '…'])}).`, indent), `${indent}${key}:`);
        visit(sub, p);
        continue;
      }
      out.push(...comment(facts(sub, p), indent));
      out.push(sub.default === undefined ? `${indent}# ${key}:` : `${indent}${key}: ${yamlValue(sub.default)}`);
    }
  };
  visit(ConfigSchema as unknown as SchemaLike, []);
  return `${out.join('\n')}\n`;
}
