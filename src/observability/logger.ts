/**
 * The node's logger: pino JSON lines with redaction of anything that can carry a credential or a
 * secret (authorization headers, API keys, passwords, tokens). Redaction is by path, so the rule
 * of the house still holds: never pass a secret to the logger in the first place.
 * On a terminal the lines are pretty-printed by pino-pretty when it is installed (a
 * devDependency, loaded on demand); redaction happens in pino before any formatting, so a pretty
 * line censors exactly what a JSON line does.
 */
import { createRequire } from 'node:module';
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
  /** `auto` (default): pretty when the destination is a terminal and pino-pretty is installed; JSON otherwise. */
  readonly format?: LogFormat;
  /** Loads pino-pretty (null when it is not installed); tests pass their own to try its absence. */
  readonly loadPretty?: () => PrettyFactory | null;
}

export type LogFormat = 'auto' | 'json' | 'pretty';

/** pino-pretty's default export: options in, a destination stream out. */
export type PrettyFactory = (options: {
  destination: DestinationStream | number;
  colorize: boolean;
  sync: boolean;
  translateTime: string;
}) => DestinationStream;

/** pino-pretty if it is installed (it is a devDependency: absent from production installs). */
export function loadPinoPretty(): PrettyFactory | null {
  try {
    const loaded = createRequire(import.meta.url)('pino-pretty') as PrettyFactory | { default: PrettyFactory };
    return typeof loaded === 'function' ? loaded : loaded.default;
  } catch {
    return null;
  }
}

/** The stream lines go to: pino-pretty in front of the destination when the format asks for it and it is installed. */
function outputOf(options: LoggerOptions): DestinationStream | undefined {
  const format = options.format ?? 'auto';
  if (format === 'json') return options.destination;
  const target = options.destination ?? process.stdout;
  if (format === 'auto' && (target as { isTTY?: boolean }).isTTY !== true) return options.destination;
  const pretty = (options.loadPretty ?? loadPinoPretty)();
  if (!pretty) return options.destination;
  // Colours only on a terminal; sync so the last lines before an exit are written.
  const colorize = (target as { isTTY?: boolean }).isTTY === true;
  return pretty({ destination: options.destination ?? 1, colorize, sync: true, translateTime: 'SYS:standard' });
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
    outputOf(options),
  );
}
