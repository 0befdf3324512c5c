#!/usr/bin/env node
// The installed `portcullis` command: runs the bundled CLI (dist-bundle/, built by `npm run build`
// through `prepare`: scripts/bundle.mjs over tsc's dist/). Resolved from this file, so any cwd works.
import { main } from '../dist-bundle/portcullis.mjs';

main(process.argv.slice(2)).then(
  (code) => { if (code) process.exitCode = code; },
  (err) => { process.stderr.write(`portcullis: ${err?.message ?? err}\n`); process.exitCode = 1; },
);
