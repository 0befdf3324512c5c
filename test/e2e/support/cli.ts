/**
 * Runs the real `portcullis` command (bin/portcullis.js over the built dist/) for end-to-end
 * tests: a node in the background with a temp config, or a one-shot command.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { DatabaseConfig } from '../../../src/store/store.js';

export const BIN = fileURLToPath(new URL('../../../bin/portcullis.js', import.meta.url));

export interface CliNode {
  readonly proxyUrl: string;
  readonly adminUrl: string;
  /** `host:port` of the HTTPS proxy listener and of the HTTPS Admin API listener, when on. */
  readonly proxyTls: string | undefined;
  readonly adminTls: string | undefined;
  readonly configFile: string;
  readonly process: ChildProcess;
  /** Every log line so far. */
  readonly logs: string[];
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Writes a YAML config into a fresh temp folder (SQLite there, ports picked by the OS). */
export function writeConfig(overrides: Record<string, unknown> = {}, dir = mkdtempSync(join(tmpdir(), 'portcullis-e2e-'))): string {
  const file = join(dir, 'portcullis.yaml');
  writeFileSync(
    file,
    stringify({
      sqlite_path: join(dir, 'data', 'portcullis.db'),
      proxy_listen: '127.0.0.1:0',
      proxy_listen_tls: '127.0.0.1:0',
      admin_listen: '127.0.0.1:0',
      log_level: 'info',
      cluster_poll_interval: 50,
      ...overrides,
    }),
  );
  return file;
}

/** A config for a test database (SQLite file or PostgreSQL database), written in the folder of its `sqlite_path` (the data folder). */
export function writeConfigFor(database: DatabaseConfig, overrides: Record<string, unknown> = {}): string {
  const c = database;
  const db =
    c.database === 'sqlite'
      ? { sqlite_path: c.sqlite_path }
      : {
          database: 'postgres',
          sqlite_path: c.sqlite_path,
          pg_host: c.pg_host,
          pg_port: c.pg_port,
          pg_user: c.pg_user,
          pg_password: c.pg_password,
          pg_database: c.pg_database,
        };
  return writeConfig({ ...db, ...overrides }, dirname(c.sqlite_path));
}

/** Calls `onLine` with each complete line `stream` writes (a node's JSON log lines). */
export function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      onLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  });
}

/** Starts `portcullis start --config <file>` and waits for its "portcullis started" line. */
export async function startCliNode(configFile: string, env: Record<string, string> = {}): Promise<CliNode> {
  const child = spawn(process.execPath, [BIN, 'start', '--config', configFile], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Generous: a first start makes RSA key pairs and, with --workers, forks; CI machines are shared.
  const started = await new Promise<{ proxy: string; admin: string; proxyTls?: string; adminTls?: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`node did not start:\n${logs.join('\n')}`));
    }, 60_000);
    onLines(child.stdout!, (line) => {
      logs.push(line);
      if (line.includes('"portcullis started"')) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { proxy: string; admin: string; proxyTls?: string; adminTls?: string });
      }
    });
    child.stderr!.on('data', (c: Buffer) => logs.push(c.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code} before starting:\n${logs.join('\n')}`));
    });
  });
  const url = (address: string) => `http://${address.replace('0.0.0.0', '127.0.0.1')}`;
  return {
    proxyUrl: url(started.proxy),
    adminUrl: url(started.admin),
    proxyTls: started.proxyTls,
    adminTls: started.adminTls,
    configFile,
    process: child,
    logs,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a one-shot command, e.g. `runCli(['config', 'check', '--config', file])`. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** JSON over HTTP with fetch, for the Admin API. */
export async function admin(node: Pick<CliNode, 'adminUrl'>, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${node.adminUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
