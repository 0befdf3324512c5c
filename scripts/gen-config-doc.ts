// Rewrites the generated block of docs/configuration.md from the config schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { DOC_BEGIN, DOC_END, renderConfigReference } from '../src/config/config-doc.js';

const file = new URL('../docs/configuration.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const start = text.indexOf(DOC_BEGIN);
const end = text.indexOf(DOC_END);
if (start < 0 || end < 0) throw new Error('docs/configuration.md has no config-reference markers');
writeFileSync(file, text.slice(0, start) + renderConfigReference() + text.slice(end + DOC_END.length));
console.log('docs/configuration.md updated');
