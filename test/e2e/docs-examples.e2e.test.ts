/**
 * Every curl example of README.md and docs/*.md runs against a real node: for each file, the shell
 * blocks that call curl are joined in document order into one `bash -euo pipefail` script (see
 * support/doc-blocks.ts for the two block forms) and run in an empty folder against a fresh node
 * (the built CLI, SQLite in its own data folder) and an echo upstream. The only changes made to the
 * text are the addresses: 8000, 8001 and 8443 become the node's ports, 127.0.0.1:9000 the upstream.
 * `{vault://env/<name>}` references find their variable set on the node. A block may opt out with
 * `<!-- docs-test: skip (reason) -->` on the line before its fence; skips are counted and printed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { startEchoUpstream, type EchoUpstream } from './support/upstream.js';
import { blockScript, curlBlocks, PRELUDE } from './support/doc-blocks.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FILES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

/** The variable a `{vault://env/<name>}` reference reads (secrets.md: `pg-password` → `PG_PASSWORD`). */
const envVariable = (name: string) => name.toUpperCase().replaceAll('-', '_');

function addresses(script: string, node: CliNode, upstream: EchoUpstream): string {
  const port = (url: string) => url.split(':').at(-1)!;
  return script
    .replace(/:8000\b/g, `:${port(node.proxyUrl)}`)
    .replace(/:8001\b/g, `:${port(node.adminUrl)}`)
    .replace(/:8443\b/g, `:${port(node.proxyTls!)}`)
    .replace(/127\.0\.0\.1:9000\b/g, upstream.url.replace('http://', ''));
}

/**
 * Files a node generates at its first start (the keyring's RSA pair, the default certificate). The
 * first node makes them; later nodes start with copies, which spares each an RSA-3072 generation
 * (seconds on a busy machine) and changes nothing the examples see: every node still has its own
 * empty database and its own keyring.
 */
const GENERATED = ['keyring-public.pem', 'keyring-private.pem', 'tls-default.crt', 'tls-default.key'];

function nodeFolder(parent: string, template: string): string {
  const folder = mkdtempSync(join(parent, 'node-'));
  if (GENERATED.every((f) => existsSync(join(template, f)))) {
    mkdirSync(join(folder, 'data'), { mode: 0o700 });
    for (const f of GENERATED) copyFileSync(join(template, f), join(folder, 'data', f));
  }
  return folder;
}

function keepGenerated(folder: string, template: string): void {
  if (GENERATED.every((f) => existsSync(join(template, f)))) return;
  for (const f of GENERATED) copyFileSync(join(folder, 'data', f), join(template, f));
}

function runBash(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    // Its own process group, so that what an example starts in the background (an upstream) is stopped with it.
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (out += c));
    child.on('exit', (code) => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // nothing left in the group
      }
      resolve({ code, out });
    });
  });
}

describe('documentation examples', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-docs-'));
  const bin = join(dir, 'bin');
  const template = join(dir, 'generated');
  let upstream: EchoUpstream;
  before(async () => {
    mkdirSync(bin);
    mkdirSync(template, { mode: 0o700 });
    writeFileSync(join(bin, 'portcullis'), `#!/usr/bin/env bash\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(bin, 'portcullis'), 0o755);
    upstream = await startEchoUpstream();
  });
  after(async () => {
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every skipped block gives its reason', () => {
    const bare = FILES.flatMap((f) => curlBlocks(readFileSync(join(ROOT, f), 'utf8')).flatMap((b) => (b.skip === '' ? [`${f}:${b.line}`] : [])));
    assert.deepEqual(bare, [], 'write <!-- docs-test: skip (reason) -->');
  });

  for (const file of FILES) {
    const blocks = curlBlocks(readFileSync(join(ROOT, file), 'utf8'));
    if (blocks.length === 0) continue;
    it(`runs the curl examples of ${file} in order against a fresh node`, { timeout: 120_000 }, async (t) => {
      const skipped = blocks.filter((b) => b.skip !== undefined);
      for (const b of skipped) t.diagnostic(`skipped ${file}:${b.line} (${b.skip})`);
      const run = blocks.filter((b) => b.skip === undefined);
      t.diagnostic(`${file}: ${run.length} blocks run, ${skipped.length} skipped`);
      if (run.length === 0) return;
      const work = mkdtempSync(join(dir, 'run-'));
      const refs = [...new Set(run.flatMap((b) => [...b.text.matchAll(/\{vault:\/\/env\/([a-z0-9_-]+)/gi)].map((m) => m[1]!)))];
      const nodeEnv = Object.fromEntries(refs.map((r) => [envVariable(r), `docs-example-${r}`]));
      const folder = nodeFolder(dir, template);
      const node = await startCliNode(writeConfig({}, folder), nodeEnv);
      keepGenerated(folder, template);
      try {
        const script = addresses([PRELUDE, ...run.map((b) => blockScript(b, file))].join('\n'), node, upstream);
        writeFileSync(join(work, 'examples.sh'), script);
        const result = await runBash(script, work, { PATH: `${bin}:${process.env['PATH']}` });
        const failedAt = [...result.out.matchAll(/^### (.*)$/gm)].at(-1)?.[1];
        assert.equal(result.code, 0, `failed in the block at ${failedAt}:\n${result.out.slice(-4000)}\n--- node log ---\n${node.logs.slice(-20).join('\n')}`);
      } finally {
        await node.stop();
      }
    });
  }
});
