/**
 * The frame of every command that does work: the terminal around it (CliIo, so tests pass their
 * own), resources closed at the end, and every failure turned into one line on stderr and the exit
 * code of exit-codes.ts. Standard output carries only the command's result (JSON with --json).
 */
import { AdminClientError } from './admin-client.js';
import { CliFailure, describeFailure, EXIT } from './exit-codes.js';
import type { ProgressStream } from './progress-bar.js';

/** The terminal and process around a command; tests pass their own. */
export interface CliIo {
  readonly stdout: ProgressStream;
  readonly stderr: ProgressStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  setExitCode(code: number): void;
  sleep(ms: number): Promise<void>;
  /** Milliseconds, for the pace of plain progress lines. */
  now(): number;
}

export const PROCESS_IO: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  setExitCode: (code) => void (process.exitCode = code),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
};

/** Writes a failure to stderr and returns its exit code; rethrows what is a bug (main reports it as INTERNAL). */
export function report(io: CliIo, err: unknown): number {
  if (err instanceof AdminClientError) {
    io.stderr.write(`portcullis: ${err.message}\n`);
    return EXIT.UNAVAILABLE;
  }
  const failure = describeFailure(err);
  if (!failure) throw err;
  if (failure.message !== null) io.stderr.write(`portcullis: ${failure.message}\n`);
  return failure.code;
}

/**
 * Runs `work`, which may register what to close (`defer`) and may return an exit code; failures
 * become a line on stderr and their exit code. Resources close in reverse order, failures or not.
 */
export async function runCommand(io: CliIo, work: (defer: (close: () => Promise<void>) => void) => Promise<number | void>): Promise<void> {
  const closers: (() => Promise<void>)[] = [];
  try {
    const code = await work((close) => void closers.push(close));
    if (code) io.setExitCode(code);
  } catch (err) {
    io.setExitCode(report(io, err));
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

/** Prints `value` as the command's one JSON document. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export { CliFailure };
