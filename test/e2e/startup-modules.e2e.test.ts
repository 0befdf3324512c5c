/**
 * The start-up module graph, pinned: a node started through the real CLI on SQLite, with no vault
 * of a cloud kind and API keys hashed with sha256, loads neither a cloud vendor's SDK nor a native
 * password hash library (they are loaded when first needed: src/secrets/lazy-backend.ts,
 * src/util/lazy-module.ts); each is tens of MB of resident memory per process. The list
 * comes from the process itself (test/e2e/support/module-list.mjs, on SIGUSR2).
 *
 * bin/portcullis.js runs the bundle (dist-bundle/, scripts/bundle.mjs): a loaded output file of
 * the bundle stands for every file esbuild put in it (dist-bundle/inputs.json), so a package
 * bundled into a chunk loaded at start is caught as if it had been loaded from node_modules.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { admin, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { until } from '../support/until.js';

const HOOK = fileURLToPath(new URL('./support/module-list.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE = join(ROOT, 'dist-bundle');

/**
 * The files a start loaded, with each output file of the bundle replaced by the files bundled into
 * it (as absolute paths under the checkout: `<root>/node_modules/kysely/…`, `<root>/dist/cli/main.js`).
 * An output file the bundle's list does not know fails the test (a stale or foreign bundle).
 */
function expandBundle(paths: readonly string[]): { expanded: string[]; chunks: string[] } {
  const chunks = paths.filter((path) => path.startsWith(BUNDLE + '/') && path.endsWith('.mjs'));
  if (chunks.length === 0) return { expanded: [...paths], chunks };
  const inputs = JSON.parse(readFileSync(join(BUNDLE, 'inputs.json'), 'utf8')) as Record<string, string[]>;
  const expanded = paths.filter((path) => !chunks.includes(path));
  for (const chunk of chunks) {
    const files = inputs[relative(BUNDLE, chunk)];
    assert.ok(files, `the bundle's output file ${chunk} is listed in dist-bundle/inputs.json`);
    expanded.push(...files.map((file) => join(ROOT, file)), chunk);
  }
  return { expanded, chunks };
}

/** Packages a node without such vaults or hashes must not load, by what needs them. */
const NOT_AT_START: readonly (readonly [string, RegExp])[] = [
  ['the aws vault backend', /node_modules\/@aws-sdk\//],
  ['the gcp vault backend', /node_modules\/(@google-cloud|google-gax|@grpc)\//],
  ['the azure vault backend', /node_modules\/@azure\//],
  ['the argon2id hasher (basic-auth passwords, argon2id keys)', /node_modules\/@node-rs\/argon2/],
  ['the bcrypt hasher', /node_modules\/@node-rs\/bcrypt/],
  ['the PostgreSQL driver (src/store/dialects/postgres.ts loads it when first needed)', /node_modules\/(pg|pg-[a-z-]+)\//],
  ['pino-pretty (the log output is not a terminal)', /node_modules\/pino-pretty\//],
  ['the aws_sigv4 signer (no upstream-auth plugin of that type)', /node_modules\/@smithy\//],
  [
    "Fastify's default schema compilers (the Admin API gives its own: src/admin/admin-server.ts)",
    /node_modules\/(ajv|ajv-formats|@fastify\/ajv-compiler|@fastify\/fast-json-stringify-compiler)\/|node_modules\/fast-json-stringify\/index\.js/,
  ],
  [
    "undici's index, fetch's WebSocket and EventSource, its cache and mocks (src/util/undici.ts takes the client's own files)",
    /node_modules\/undici\/(index\.js|lib\/(web\/(websocket|eventsource|cache|cookies)|mock|interceptor|cache)\/)/,
  ],
];

describe('the modules a node loads at start', () => {
  let node: CliNode;
  let loaded: string[];
  let chunks: string[];

  before(async () => {
    const list = join(mkdtempSync(join(tmpdir(), 'portcullis-modules-')), 'modules.txt');
    node = await startCliNode(writeConfig({ proxy_listen_tls: 'off', workers: 1 }), {
      NODE_OPTIONS: `--import=${HOOK}`,
      PORTCULLIS_MODULE_LIST: list,
    });
    // It serves: the Admin API answers.
    assert.equal((await admin(node, 'GET', '/status')).status, 200);
    node.process.kill('SIGUSR2');
    await until('the module list is written', () => existsSync(list), 10_000);
    ({ expanded: loaded, chunks } = expandBundle(readFileSync(list, 'utf8').trim().split('\n')));
  });
  after(async () => {
    await node?.stop();
  });

  it('lists what it loaded (the CLI, the store driver), so the checks below can see a package', () => {
    // From the bundle when bin/portcullis.js runs it (it does: scripts/bundle.mjs), its files mapped back.
    assert.ok(chunks.includes(join(BUNDLE, 'portcullis.mjs')), 'the bundle entry is listed');
    assert.ok(
      loaded.some((path) => path.endsWith(join('dist', 'cli', 'main.js'))),
      'the CLI itself is listed',
    );
    // A bundled package is seen through its chunk (kysely is bundled: the SQLite store uses it).
    assert.ok(
      loaded.some((path) => /node_modules\/kysely\//.test(path)),
      'a package bundled into a loaded chunk is listed',
    );
    // better-sqlite3-napi on Node-API 10 (Node 22.14+/24): src/store/dialects/sqlite-binding.ts
    assert.ok(
      loaded.some((path) => /node_modules\/better-sqlite3(-napi)?\//.test(path)),
      'the SQLite driver is listed',
    );
  });

  for (const [what, pattern] of NOT_AT_START) {
    it(`does not load ${what}`, () => {
      assert.deepEqual(
        loaded.filter((path) => pattern.test(path)),
        [],
      );
    });
  }
});

describe('the bundle', () => {
  const outputs = () =>
    Object.keys(JSON.parse(readFileSync(join(BUNDLE, 'inputs.json'), 'utf8')) as Record<string, string[]>).map((file) => ({
      file,
      text: readFileSync(join(BUNDLE, file), 'utf8'),
    }));

  it('renames no function at run time (no keepNames: a __name call per closure made, per request in undici)', () => {
    const files = outputs();
    assert.ok(files.length > 1);
    for (const { file, text } of files) assert.doesNotMatch(text, /\b__name\(/, `${file} calls esbuild's __name helper`);
  });

  it('maps back to src/*.ts through its source maps (what `node --enable-source-maps` shows in stack traces)', () => {
    const inputs = JSON.parse(readFileSync(join(BUNDLE, 'inputs.json'), 'utf8')) as Record<string, string[]>;
    const cases = [
      ['dist/proxy/headers.js', 'src/proxy/headers.ts', 'function buildUpstreamHeaders('],
      ['dist/proxy/upstream-exchange.js', 'src/proxy/upstream-exchange.ts', 'function upstreamRequestTarget('],
      ['dist/cli/main.js', 'src/cli/main.ts', 'function buildProgram('],
    ] as const;
    for (const [compiled, source, declaration] of cases) {
      const chunk = Object.keys(inputs).find((file) => inputs[file]!.includes(compiled));
      assert.ok(chunk, `${compiled} is in the bundle`);
      const text = readFileSync(join(BUNDLE, chunk), 'utf8');
      const at = text.indexOf(declaration);
      assert.ok(at > 0, `${declaration} in ${chunk}`);
      const before = text.slice(0, at);
      const map = new SourceMap(JSON.parse(readFileSync(join(BUNDLE, `${chunk}.map`), 'utf8')) as SourceMapPayload);
      const entry = map.findEntry(before.split('\n').length - 1, at - before.lastIndexOf('\n') - 1) as { originalSource?: string; originalLine?: number };
      assert.ok(entry.originalSource?.endsWith(source), `${declaration} maps to ${entry.originalSource}`);
      const line = readFileSync(join(ROOT, source), 'utf8')
        .split('\n')
        .findIndex((l) => l.includes(declaration));
      assert.equal(entry.originalLine, line, `${declaration}: line ${entry.originalLine! + 1} of ${source}, declared at ${line + 1}`);
    }
  });

  it('keeps the written name of every error class (pino logs err.constructor.name as the type)', () => {
    // esbuild renames a symbol only where two bundled modules' names collide (`Foo` → `Foo2`).
    // undici's websocketerror.js probes DOMException with a local `class Test` it never lets out.
    const probes = new Set(['Test2 extends DOMException']);
    const renamed: string[] = [];
    for (const { file, text } of outputs()) {
      for (const [, name, base] of text.matchAll(/\bclass ([A-Za-z_$][\w$]*?\d+) extends ([\w$.]+)/g)) {
        if (/Error|Exception/.test(`${name} ${base}`) && !probes.has(`${name} extends ${base}`)) renamed.push(`${file}: class ${name} extends ${base}`);
      }
    }
    assert.deepEqual(renamed, []);
  });
});
