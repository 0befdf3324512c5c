/** The logger of CLI commands that open a database: warnings and errors only, on standard error (standard output is the command's result). */
import pino, { type Logger } from 'pino';
import { createLogger } from '../observability/logger.js';

export function cliLogger(): Logger {
  return createLogger({ level: 'warn', destination: pino.destination(2) });
}
