/**
 * The one error class for failures that reach an edge (Admin API, proxy, CLI). It carries a
 * catalogue code; the status and default public message come from the catalogue, so an edge
 * never invents them. `message` must never contain a secret.
 */
import { ERROR_CATALOGUE, type ErrorCode } from './catalogue.js';

/** A field-level problem in a validation error: the path uses dots (`config.key_names.0`). */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

export interface PortcullisErrorOptions {
  readonly message?: string;
  readonly fields?: readonly FieldError[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

export class PortcullisError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly fields: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(code: ErrorCode, options: PortcullisErrorOptions = {}) {
    super(options.message ?? ERROR_CATALOGUE[code].message, { cause: options.cause });
    this.name = 'PortcullisError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.fields = options.fields;
    this.headers = options.headers;
  }

  /** The JSON body sent to clients: `{code, message, fields?}`. */
  toBody(): { code: ErrorCode; message: string; fields?: readonly FieldError[] } {
    return this.fields ? { code: this.code, message: this.message, fields: this.fields } : { code: this.code, message: this.message };
  }
}

export function isPortcullisError(err: unknown): err is PortcullisError {
  return err instanceof PortcullisError;
}
