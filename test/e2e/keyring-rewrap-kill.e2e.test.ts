/**
 * `portcullis keyring rewrap` on a stopped node's database, killed with SIGKILL half-way and run
 * again: the second run continues the job where the first one's last committed batch left it and
 * finishes with every value under the new key; nothing is lost or double-counted.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '../../src/store/dialects/sqlite-binding.js';
import pino from 'pino';
import { BIN, runCli, writeConfig } from './support/cli.js';
import { loadConfig } from '../../src/config/load-config.js';
import { openStoreParts } from '../../src/node/store-parts.js';
import { testApiKeyRecord } from '../support/api-key-records.js';

const KEYS = 6000;

describe('portcullis keyring rewrap, killed with SIGKILL and run again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-rewrap-kill-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('resumes from its last committed batch and completes', { timeout: 180_000 }, async () => {
    const configFile = writeConfig({ log_level: 'warn' }, dir);
    const config = loadConfig({ file: configFile, env: {} });
    // Seed under key A: API keys with a previous secret (four encrypted values each).
    const parts = await openStoreParts({ config, env: {}, logger: pino({ level: 'silent' }), migrations: 'apply' });
    const oldKey = (await parts.keyring.status()).active!;
    const consumer = await parts.store.consumers.insert({ username: 'seed' });
    await parts.store.transaction(async () => {
      for (let i = 0; i < KEYS; i++) {
        const record = testApiKeyRecord(consumer.id, { withPrevious: true }, { name: `k${i}` });
        await parts.store.apiKeys.insert(record);
      }
    });
    await parts.close();
    const total = KEYS * 4;

    const generated = await runCli(['keyring', 'generate', '--config', configFile, '--json']);
    assert.equal(generated.code, 0, generated.stderr);
    const newKey = JSON.parse(generated.stdout).id as string;
    assert.equal((await runCli(['keyring', 'activate', newKey, '--config', configFile])).code, 0);

    const job = () => {
      const db = new Database(config.sqlite_path, { readonly: true });
      try {
        return db.prepare("select status, done, cursor from keyring_rewrap where name = 'current'").get() as
          { status: string; done: number; cursor: string } | undefined;
      } finally {
        db.close();
      }
    };
    const underNew = () => {
      const db = new Database(config.sqlite_path, { readonly: true });
      try {
        const row = db
          .prepare(`select sum((hash like ?) + (salt like ?) + (prev_hash like ?) + (prev_salt like ?)) as n from api_keys`)
          .get(...Array(4).fill(`$ke$1$-${newKey}-%`)) as { n: number };
        return Number(row.n);
      } finally {
        db.close();
      }
    };

    // First run: killed once some batches are committed.
    const first = spawn(process.execPath, [BIN, 'keyring', 'rewrap', '--config', configFile], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => first.on('exit', (_code, signal) => resolve(signal)));
    let seen = job();
    for (let i = 0; i < 600 && !(seen && seen.done >= 2000); i++) {
      await new Promise((r) => setTimeout(r, 25));
      seen = job();
    }
    first.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const killed = job()!;
    assert.equal(killed.status, 'running', 'the job row still says running after the kill');
    assert.ok(killed.done > 0 && killed.done < total, `partly done: ${killed.done} of ${total}`);
    assert.equal(underNew(), killed.done, 'exactly the committed batches are under the new key');

    // Second run: continues and completes.
    const second = await runCli(['keyring', 'rewrap', '--config', configFile, '--json']);
    assert.equal(second.code, 0, second.stderr);
    const finished = job()!;
    assert.equal(finished.status, 'done');
    assert.equal(underNew(), total, 'every value is under the new key');
    const usage = await runCli(['keyring', 'usage', '--config', configFile, '--json']);
    const counts = JSON.parse(usage.stdout) as { keys: Record<string, { total: number }> };
    assert.equal(counts.keys[oldKey]?.total ?? 0, 0);
    assert.equal((await runCli(['keyring', 'remove', oldKey, '--config', configFile])).code, 0, 'the old key can go without force');
  });
});
