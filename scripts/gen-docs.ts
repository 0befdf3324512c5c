// Rewrites the generated blocks of docs/configuration.md and docs/errors.md, and the whole of
// portcullis.example.yaml, from the code.
import { readFileSync, writeFileSync } from 'node:fs';
import { DOC_BEGIN, DOC_END, renderConfigReference } from '../src/config/config-doc.js';
import { renderExampleConfig } from '../src/config/config-example.js';
import { ERRORS_BEGIN, ERRORS_END, renderErrorTable } from '../src/errors/errors-doc.js';

function rewrite(path: string, begin: string, end: string, block: string): void {
  const file = new URL(`../${path}`, import.meta.url);
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < 0) throw new Error(`${path} has no generated-block markers`);
  writeFileSync(file, text.slice(0, start) + block + text.slice(stop + end.length));
  console.log(`${path} updated`);
}

rewrite('docs/configuration.md', DOC_BEGIN, DOC_END, renderConfigReference());
rewrite('docs/errors.md', ERRORS_BEGIN, ERRORS_END, renderErrorTable());

writeFileSync(new URL('../portcullis.example.yaml', import.meta.url), renderExampleConfig());
console.log('portcullis.example.yaml updated');
