/**
 * The node's logger: pino JSON lines with redaction of anything that can carry a credential or a
 * secret (authorization headers, API keys, passwords, tokens). Redaction is by path, so the rule
 * of the house still holds: never pass a secret to the logger in the first place.
 */
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/** Paths censored in every log line, at any of the usual nesting levels. */
export const REDACT_PATHS: readonly string[] = (() => {
  const keys = [
    'password',
    'pg_password',
    'admin_token',
    'token',
    'secret',
    'api_key',
    'apikey',
    'key',
    'plaintext',
    'authorization',
    'proxy-authorization',
    'x-api-key',
    'cookie',
    'set-cookie',
    'portcullis-admin-token',
  ];
  const paths: string[] = [];
  for (const k of keys) {
    const segment = /^[a-z_]+$/.test(k) ? k : `["${k}"]`;
    const join = (prefix: string) => (segment.startsWith('[') ? `${prefix}${segment}` : `${prefix}.${segment}`);
    paths.push(segment.startsWith('[') ? `${segment}` : k);
    for (const parent of ['*', 'headers', 'req.headers', 'res.headers', 'config', 'body', 'err']) paths.push(join(parent));
  }
  return paths;
})();

export interface LoggerOptions {
  readonly level: LevelWithSilent;
  /** The node's name (config `node_id`). */
  readonly nodeId?: string;
  /** This process's instance id (random at start). */
  readonly instanceId?: string;
  /** Where lines go; standard output when absent. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { ...(options.nodeId ? { node: options.nodeId } : {}), ...(options.instanceId ? { instance: options.instanceId } : {}) },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
