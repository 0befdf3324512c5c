/**
 * The logger of CLI commands that open a database: warnings and errors only, on standard error
 * (standard output is the command's result). Human-readable on a terminal, JSON otherwise, and
 * redacted either way (observability/logger.ts).
 */
import type { DestinationStream, Logger } from 'pino';
import { createLogger, type LogFormat } from '../observability/logger.js';

export function cliLogger(stderr: { write(text: string): unknown; isTTY?: boolean } = process.stderr, format: LogFormat = 'auto'): Logger {
  return createLogger({ level: 'warn', destination: stderr as DestinationStream, format });
}
