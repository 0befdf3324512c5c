#!/usr/bin/env node
// Runs every *.test.ts under the given folders (default: src and test) with node's test runner,
// loading TypeScript through tsx. Node 20's runner has no glob support, so we list files here.
// It starts one throw-away PostgreSQL for the run (or uses PORTCULLIS_TEST_PG_URL).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { startTestPostgres } from './test-postgres.mjs';

const TEST_CA = new URL('../test/fixtures/tls/test-ca.pem', import.meta.url).pathname;

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.ts')) files.push(path);
  }
};
for (const root of roots.length ? roots : ['src', 'test']) {
  if (statSync(root, { throwIfNoEntry: false })?.isFile()) files.push(root);
  else walk(root);
}
files.sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// One PostgreSQL for the whole run; each test file creates its own database in it.
const pg = await startTestPostgres();
// A test that hangs (a child process that never answers, a socket never closed) fails after
// TEST_TIMEOUT_MS instead of holding the run, and CI, forever. Generous: e2e suites run for
// minutes on a loaded machine.
const TEST_TIMEOUT_MS = 15 * 60 * 1000;
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', `--test-timeout=${TEST_TIMEOUT_MS}`, ...passthrough, ...files], {
  stdio: 'inherit',
  // The HTTPS fakes in test/fakes/ serve a leaf of this TEST-ONLY CA; Node reads this variable only at start.
  // Nodes the tests start run in one process (the default, one worker per core, would fork); the
  // `--workers` tests ask for workers themselves.
  env: { PORTCULLIS_WORKERS: '1', ...process.env, NODE_ENV: 'test', PORTCULLIS_TEST_PG_URL: pg.url, NODE_EXTRA_CA_CERTS: TEST_CA },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
await pg.stop();
process.exit(code);
