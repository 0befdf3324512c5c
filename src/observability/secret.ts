/**
 * A wrapper for a secret value in memory: printing, logging or serialising it shows `[redacted]`;
 * only `reveal()` gives the value, so every use of a secret is greppable.
 */
import { inspect } from 'node:util';

export class Secret<T = string> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  reveal(): T {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}
