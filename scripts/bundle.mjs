/**
 * `npm run build`, second step: bundles the CLI (dist/cli/main.js, compiled by tsc) with esbuild
 * into dist-bundle/ — the entry portcullis.mjs plus chunks — so a node starts from a few files
 * instead of ~2,000 ES modules (issue 12 §5: start-up time and idle memory). bin/portcullis.js
 * loads the bundle. dist/ stays as tsc writes it (the tests import it).
 *
 * - ESM with code splitting: what the source loads with `await import()` (the cloud vault
 *   backends, the Admin API modules, the store parts) stays in chunks loaded when first needed.
 * - External (loaded from node_modules at run time, as before): native addons, packages loaded
 *   lazily through `createRequire` or `await import()` (argon2/bcrypt, pg, pino-pretty, the SigV4 signer,
 *   @peculiar/x509) and the cloud vendors' SDKs (large, read files beside themselves).
 * - The bundle sits one folder below the package root, like dist/: `new URL('../package.json',
 *   import.meta.url)` (src/version.ts) and `createRequire(import.meta.url)` resolve as they do
 *   from dist/. All chunks are in that one folder (no chunk subfolder) for that reason.
 * - Bundled CommonJS packages `require` Node's built-ins: each output file starts with a
 *   `require` made by createRequire (the banner).
 * - dist-bundle/inputs.json lists, per output file, the files bundled into it (from esbuild's
 *   metafile): the start-up module graph test maps the chunks a node loaded back to packages.
 */
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist-bundle');

/** Never bundled: see above. */
export const EXTERNAL = [
  // native addons
  'better-sqlite3',
  'better-sqlite3-napi',
  're2',
  '@node-rs/*',
  // loaded when first needed (createRequire / await import)
  'pg',
  'pino-pretty',
  '@peculiar/*',
  // the aws_sigv4 upstream credential's signer (src/plugins/upstream-auth/sigv4-*.ts), CommonJS
  '@smithy/*',
  'reflect-metadata',
  // the cloud vaults' SDKs (src/secrets/backends/cloud-backends.ts loads their backends lazily)
  '@aws-sdk/*',
  '@google-cloud/*',
  'google-gax',
  '@grpc/*',
  '@azure/*',
  // Fastify's default schema compilers (Ajv, fast-json-stringify, ~0.4 MB of source): the Admin API
  // gives Fastify its own (src/admin/admin-server.ts), so Fastify never requires these; bundled,
  // their source was held in memory by every primary all the same.
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
];

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  // The worker thread of keyring/worker-sealer.ts is started from its own file beside the chunk
  // that starts it (`seal-worker` + the starting file's extension).
  entryPoints: { portcullis: 'dist/cli/main.js', 'seal-worker': 'dist/keyring/seal-worker.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  chunkNames: '[name]-[hash]',
  external: EXTERNAL,
  // No `keepNames`: it wraps every named function in a `__name(fn, "fn")` call that redefines the
  // function's `name`, at run time, each time the function is created; closures made per request
  // (undici's `writeH1` makes one for every request) then paid ~1.7 µs for it (measured with
  // `npm run bench:profile`). Without it a function keeps the name JavaScript infers; only
  // symbols esbuild renames where two modules' names collide (e.g. `Client2`; no error class
  // here, checked by test/e2e/startup-modules.e2e.test.ts, "the bundle") show the new name in stack traces.
  // Whitespace and syntax minified: smaller sources held in memory (idle RSS −9 MB measured), names
  // kept readable in stack traces. BUNDLE_MINIFY_IDENTIFIERS=1 renames identifiers too (−2.5 MB more).
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: process.env.BUNDLE_MINIFY_IDENTIFIERS === '1',
  // Stack traces point into the bundle; with `node --enable-source-maps` they map to src/*.ts
  // (esbuild follows tsc's maps of dist/).
  sourcemap: 'linked',
  banner: { js: "import { createRequire as __portcullisCreateRequire } from 'node:module'; const require = __portcullisCreateRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning',
});

const inputs = {};
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (!file.endsWith('.mjs')) continue;
  inputs[relative(outdir, join(root, file))] = Object.keys(output.inputs).sort();
}
writeFileSync(join(outdir, 'inputs.json'), JSON.stringify(inputs, null, 1) + '\n');
