#!/usr/bin/env node
// The installed `portcullis` command: runs the compiled CLI (built by `npm ci` through `prepare`).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { if (code) process.exitCode = code; },
  (err) => { process.stderr.write(`portcullis: ${err?.message ?? err}\n`); process.exitCode = 1; },
);
