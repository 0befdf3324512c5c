/**
 * docs/portcullis.service stays a hardened, working unit: its directives are parsed and checked
 * against what the node needs (a dedicated or dynamic user, a read-only system but for the data
 * folder, a stop timeout above the drain timeout, secrets from an environment file …), and, where
 * systemd-analyze exists, `systemd-analyze verify` accepts it without a warning.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigSchema } from '../src/config/schema.js';

const UNIT = readFileSync(new URL('../docs/portcullis.service', import.meta.url), 'utf8');

/** `[Section]` → key → every value given (a key may repeat, as Environment= does). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) sections.set(header[1]!, (current = new Map()));
    else {
      const eq = line.indexOf('=');
      assert.ok(current && eq > 0, `not a directive: ${line}`);
      const key = line.slice(0, eq).trim();
      current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
    }
  }
  return sections;
}

/** systemd time span in seconds ("30s", "1min 30s", "90"). */
function seconds(span: string): number {
  const units: Record<string, number> = { '': 1, s: 1, sec: 1, min: 60, m: 60, h: 3600, ms: 0.001 };
  return [...span.matchAll(/(\d+)\s*([a-z]*)/g)].reduce((sum, m) => sum + Number(m[1]) * (units[m[2]!] ?? NaN), 0);
}

const DRAIN_SECONDS = (ConfigSchema.properties.shutdown_timeout as unknown as { default: number }).default / 1000;

/** What is wrong with a unit, as sentences; empty when it is fine. */
function problems(text: string): string[] {
  const service = parseUnit(text).get('Service') ?? new Map<string, string[]>();
  const one = (key: string) => service.get(key)?.at(-1);
  const env = new Map((service.get('Environment') ?? []).map((e) => e.split('=', 2) as [string, string]));
  const dataFolder = env.has('PORTCULLIS_SQLITE_PATH') ? dirname(env.get('PORTCULLIS_SQLITE_PATH')!) : undefined;
  const checks: [boolean, string][] = [
    [one('DynamicUser') === 'true' || (one('User') ?? 'root') !== 'root', 'runs as a dedicated user (User=) or DynamicUser=true'],
    [one('ProtectSystem') === 'strict', 'ProtectSystem=strict'],
    [
      dataFolder !== undefined && (service.get('ReadWritePaths') ?? []).some((p) => p.split(/\s+/).includes(dataFolder)),
      'ReadWritePaths= the data folder of PORTCULLIS_SQLITE_PATH',
    ],
    [one('NoNewPrivileges') === 'true', 'NoNewPrivileges=true'],
    [one('PrivateTmp') === 'true', 'PrivateTmp=true'],
    [one('Restart') === 'on-failure', 'Restart=on-failure'],
    [Number(one('LimitNOFILE') ?? 0) >= 4096, 'LimitNOFILE of 4096 or more'],
    [one('KillSignal') === 'SIGTERM', 'KillSignal=SIGTERM (the graceful drain)'],
    [seconds(one('TimeoutStopSec') ?? '0') > DRAIN_SECONDS, `TimeoutStopSec above shutdown_timeout (${DRAIN_SECONDS} s)`],
    [(service.get('EnvironmentFile') ?? []).length > 0, 'secrets from an EnvironmentFile='],
    [!service.has('ExecReload'), 'no ExecReload: the node has no reload signal'],
    [(one('AmbientCapabilities') ?? 'CAP_NET_BIND_SERVICE') === 'CAP_NET_BIND_SERVICE', 'AmbientCapabilities only CAP_NET_BIND_SERVICE'],
    [/\bstart\b/.test(one('ExecStart') ?? ''), 'ExecStart runs `portcullis start`'],
  ];
  return checks.filter(([ok]) => !ok).map(([, what]) => what);
}

describe('docs/portcullis.service', () => {
  it('has every directive a hardened Portcullis unit needs', () => assert.deepEqual(problems(UNIT), []));

  it('refuses units that miss a hardening directive or stop before the drain ends', () => {
    const variants: [string, (u: string) => string, string][] = [
      ['running as root', (u) => u.replace(/^User=.*$/m, 'User=root'), 'runs as a dedicated user'],
      ['no user at all', (u) => u.replace(/^User=.*$/m, ''), 'runs as a dedicated user'],
      ['ProtectSystem=full', (u) => u.replace(/^ProtectSystem=.*$/m, 'ProtectSystem=full'), 'ProtectSystem=strict'],
      ['another writable path', (u) => u.replace(/^ReadWritePaths=.*$/m, 'ReadWritePaths=/srv'), 'ReadWritePaths= the data folder'],
      ['NoNewPrivileges removed', (u) => u.replace(/^NoNewPrivileges=.*$/m, ''), 'NoNewPrivileges=true'],
      ['PrivateTmp=false', (u) => u.replace(/^PrivateTmp=.*$/m, 'PrivateTmp=false'), 'PrivateTmp=true'],
      ['Restart=always', (u) => u.replace(/^Restart=.*$/m, 'Restart=always'), 'Restart=on-failure'],
      ['KillSignal=SIGKILL', (u) => u.replace(/^KillSignal=.*$/m, 'KillSignal=SIGKILL'), 'KillSignal=SIGTERM'],
      ['a stop timeout below the drain', (u) => u.replace(/^TimeoutStopSec=.*$/m, 'TimeoutStopSec=5s'), 'TimeoutStopSec above'],
      ['a stop timeout equal to the drain', (u) => u.replace(/^TimeoutStopSec=.*$/m, `TimeoutStopSec=${DRAIN_SECONDS}`), 'TimeoutStopSec above'],
      ['secrets inline', (u) => u.replace(/^EnvironmentFile=.*$/m, 'Environment=PORTCULLIS_ADMIN_TOKEN=x'), 'secrets from an EnvironmentFile'],
      ['a reload that does nothing', (u) => u.replace(/^ExecStart=.*$/m, (l) => `${l}\nExecReload=/bin/kill -HUP $MAINPID`), 'no ExecReload'],
      ['extra capabilities', (u) => u.replace(/^NoNewPrivileges=.*$/m, (l) => `${l}\nAmbientCapabilities=CAP_SYS_ADMIN`), 'AmbientCapabilities'],
    ];
    for (const [name, mutate, expected] of variants) {
      const found = problems(mutate(UNIT));
      assert.ok(
        found.some((p) => p.startsWith(expected)),
        `${name}: expected a problem starting "${expected}", got ${JSON.stringify(found)}`,
      );
    }
  });

  const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;
  it('is accepted by systemd-analyze verify without a warning', { skip: analyze ? false : 'systemd-analyze is not installed' }, () => {
    // verify checks that ExecStart's program exists: point it at this machine's node.
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-unit-'));
    try {
      const file = join(dir, 'portcullis.service');
      writeFileSync(file, UNIT.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `));
      const result = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stderr.trim(), '', 'systemd-analyze printed warnings');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
