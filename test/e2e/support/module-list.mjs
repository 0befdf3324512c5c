/**
 * `node --import <this file>`: records every module the process loads and writes the list (one
 * file path or `node:` name a line) to the file named by PORTCULLIS_MODULE_LIST on SIGUSR2 and at
 * exit (written whole, then renamed, so a reader never sees half a list). ES
 * modules come from a loader hook (module.register, on the loader thread, posted back here);
 * CommonJS modules loaded by `require` inside packages bypass that hook on Node 20, so
 * `require.cache` is read too. Used by the start-up module graph test and `npm run bench:startup`.
 */
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const out = process.env.PORTCULLIS_MODULE_LIST;
if (out) {
  const seen = new Set();
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url) => seen.add(url.startsWith('file:') ? fileURLToPath(url) : url));
  port1.unref();
  register('./module-list-hook.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
  const require = createRequire(import.meta.url);
  const write = () => {
    for (const path of Object.keys(require.cache)) seen.add(path);
    writeFileSync(`${out}.partial`, [...seen].sort().join('\n') + '\n');
    renameSync(`${out}.partial`, out);
  };
  process.on('SIGUSR2', write);
  process.on('exit', write);
}
