#!/usr/bin/env node
// The installed `portcullis` command: runs the bundled CLI (dist-bundle/, built by `npm run build`
// through `prepare`: scripts/bundle.mjs over tsc's dist/). Resolved from this file, so any cwd works.
import { setFlagsFromString } from 'node:v8';

// V8's young generation kept from growing while the CLI loads and a node starts (the garbage of
// start-up would leave it at 16 MB resident); the CLI sets the default back once the node serves,
// or at once for another command (src/node/release-startup-memory.ts). Not if the user set a
// semi-space flag of their own.
if (!`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`.includes('semi-space')) {
  setFlagsFromString('--semi-space-growth-factor=1');
  globalThis[Symbol.for('portcullis.youngGenerationHeld')] = true;
}
const { main } = await import('../dist-bundle/portcullis.mjs');

main(process.argv.slice(2)).then(
  (code) => { if (code) process.exitCode = code; },
  (err) => { process.stderr.write(`portcullis: ${err?.message ?? err}\n`); process.exitCode = 1; },
);
