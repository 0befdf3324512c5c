/**
 * One line of an import file (JSON lines, docs/api-keys.md#importing-keys): the key as a value
 * (`value`) or as a SHA-256 digest (`sha256`), its owner, name, issuer, expiry and metadata.
 * Parsed and checked here into a value or field errors; an error never quotes the line, since
 * the line may hold a key value.
 */
import Type, { type Static } from 'typebox';
import type { FieldError } from '../../errors/portcullis-error.js';
import { createValidator } from '../../schema/validator.js';
import { GenerateKeyBody, KEY_NAME_PATTERN } from '../lifecycle/schemas.js';

const OwnerRef = Type.String({ minLength: 1, maxLength: 256 });

export const ImportLineSchema = Type.Object(
  {
    /** The key's value: ours if it has our format (its prefix names the issuer), external otherwise. */
    value: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    /** The key's SHA-256 digest (64 hex): a push issuer's key, or an external one (`issuer: "external"`). */
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$' })),
    name: Type.Optional(Type.String({ pattern: KEY_NAME_PATTERN })),
    display_name: GenerateKeyBody.properties.display_name,
    /** The owning service (id or name); with `consumer`, the consumer is who the key identifies. */
    service: Type.Optional(OwnerRef),
    /** The owning consumer (id or username), or the consumer a service key identifies. */
    consumer: Type.Optional(OwnerRef),
    issuer: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    expires_at: Type.Optional(Type.String({ format: 'date-time', maxLength: 64 })),
    metadata: GenerateKeyBody.properties.metadata,
  },
  { additionalProperties: false },
);
export type ImportLine = Static<typeof ImportLineSchema>;

const validator = createValidator(ImportLineSchema);

/** The line as a value, or why not (field paths as the Admin API gives them). */
export function parseImportLine(text: string): { readonly line: ImportLine } | { readonly errors: readonly FieldError[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error: never shown.
    return { errors: [{ path: '(line)', message: 'is not valid JSON' }] };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { errors: [{ path: '(line)', message: 'must be a JSON object' }] };
  const errors = validator.errors(json);
  if (errors.length > 0) return { errors };
  const line = json as ImportLine;
  if ((line.value === undefined) === (line.sha256 === undefined)) return { errors: [{ path: 'value', message: 'give exactly one of value or sha256' }] };
  return { line };
}
