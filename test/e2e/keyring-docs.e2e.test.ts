/**
 * docs/keyring.md is a runbook: this test runs every `sh` block of it, in order, in one bash
 * script, in an empty folder, with the real CLI as `portcullis` on PATH — setup, rotation with a
 * rewrap, backup, recovery from an export after losing the blob file, and recovery with an offline
 * recovery key. The only change made to the text is the ports (8000/8001 → free ones). Every
 * `yaml` block must also be a valid configuration.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { BIN } from './support/cli.js';
import { loadConfig } from '../../src/config/load-config.js';
import { freePort } from '../support/free-port.js';

const DOC = fileURLToPath(new URL('../../docs/keyring.md', import.meta.url));

function blocks(markdown: string, lang: string): string[] {
  return [...markdown.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```', 'gm'))].map((m) => m[1]!);
}

describe('docs/keyring.md', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-keyring-doc-'));
  after(() => {
    const pidFile = join(dir, 'portcullis.pid');
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // already stopped
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('every yaml block is a valid configuration', () => {
    const yamlBlocks = blocks(readFileSync(DOC, 'utf8'), 'yaml');
    assert.ok(yamlBlocks.length >= 1);
    for (const block of yamlBlocks) {
      const file = join(dir, 'check.yaml');
      writeFileSync(file, block);
      assert.doesNotThrow(() => loadConfig({ file, env: { PORTCULLIS_VAULT_TOKEN: 'x' } }), block);
      assert.ok(Object.keys(parse(block) as object).length > 0);
    }
  });

  it('runs every sh block in order, as a user would', { timeout: 240_000 }, async () => {
    const [proxyPort, adminPort] = [await freePort(), await freePort()];
    const shBlocks = blocks(readFileSync(DOC, 'utf8'), 'sh');
    assert.ok(shBlocks.length >= 6, `found ${shBlocks.length} sh blocks`);
    const script = ['set -euo pipefail', ...shBlocks.map((b, i) => `echo "### block ${i + 1}" >&2\n${b}`), 'kill "$(cat portcullis.pid)"']
      .join('\n')
      .replaceAll('8001', String(adminPort))
      .replaceAll('8000', String(proxyPort));
    const bin = join(dir, 'bin');
    writeFileSync(join(dir, 'run.sh'), script);
    rmSync(bin, { recursive: true, force: true });
    mkdirSync(bin);
    writeFileSync(join(bin, 'portcullis'), `#!/usr/bin/env bash\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(bin, 'portcullis'), 0o755);
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('bash', ['run.sh'], { cwd: dir, env: { ...process.env, PATH: `${bin}:${process.env['PATH']}` }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c));
      child.stderr.on('data', (c: Buffer) => (out += c));
      child.on('exit', (code) => resolve({ code, out }));
    });
    const log = existsSync(join(dir, 'portcullis.log')) ? readFileSync(join(dir, 'portcullis.log'), 'utf8').slice(-3000) : '';
    assert.equal(result.code, 0, `${result.out}\n--- node log ---\n${log}`);
  });
});
