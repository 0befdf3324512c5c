/**
 * The start-up hold of bin/portcullis.js, through the real CLI: a node started with `start` holds
 * V8's young generation while it starts and gives it back once it serves
 * (src/node/release-startup-memory.ts; what that does to V8 is tested there, in child processes).
 * A semi-space flag of the user's own disables the hold.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admin, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { until } from '../support/until.js';

const HOOK = fileURLToPath(new URL('./support/start-holds.mjs', import.meta.url));

/** The values each mark took, in order. */
function transitions(log: string): Record<string, unknown[]> {
  const seen: Record<string, unknown[]> = {};
  if (!existsSync(log)) return seen;
  for (const line of readFileSync(log, 'utf8').trim().split('\n').filter(Boolean)) {
    const { mark, value } = JSON.parse(line) as { mark: string; value: unknown };
    (seen[mark] ??= []).push(value);
  }
  return seen;
}

describe('the start-up holds of bin/portcullis.js', () => {
  const nodes: CliNode[] = [];
  after(async () => {
    for (const node of nodes) await node.stop();
  });

  async function start(nodeOptions: string): Promise<string> {
    const log = join(mkdtempSync(join(tmpdir(), 'portcullis-holds-')), 'holds.jsonl');
    const node = await startCliNode(writeConfig({ proxy_listen_tls: 'off', workers: 1 }), {
      NODE_OPTIONS: `--import=${HOOK} ${nodeOptions}`,
      PORTCULLIS_HOLDS_LOG: log,
    });
    nodes.push(node);
    assert.equal((await admin(node, 'GET', '/status')).status, 200);
    return log;
  }

  it('holds the young generation while starting, and releases it once serving', async () => {
    const log = await start('');
    await until('the hold released', () => transitions(log)['portcullis.youngGenerationHeld']?.at(-1) === false, 10_000);
    assert.deepEqual(transitions(log), { 'portcullis.youngGenerationHeld': [true, false] });
  });

  it('leaves the young generation alone when the user set a semi-space flag', async () => {
    const log = await start('--max-semi-space-size=16');
    // Serving (start() waited for /status) and past the release point: no mark was ever set.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(transitions(log), {});
  });
});
