/** Bodies of the API-key operations of the Admin API (one schema each: validation and OpenAPI). */
import Type, { type Static } from 'typebox';
import { BoundedJson, jsonBoundsProblem } from '../../schema/bounded-json.js';
import { SafeText } from '../../schema/safe-text.js';

export const KEY_NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';

const ExpiresIn = Type.Object(
  {
    unit: Type.Union([Type.Literal('seconds'), Type.Literal('minutes'), Type.Literal('hours'), Type.Literal('days'), Type.Literal('weeks')]),
    duration: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
  },
  { additionalProperties: false },
);

/** Bounds of a key's `metadata`: free-form facts about the key, not a document store. */
export const METADATA_LIMITS = { keys: 32, keyLength: 64, valueBytes: 1024, valueDepth: 4, totalBytes: 8192 } as const;

const metadataTooLarge = (value: unknown) => {
  const problem = jsonBoundsProblem(value, { maxBytes: METADATA_LIMITS.totalBytes, maxDepth: METADATA_LIMITS.valueDepth + 1 });
  // A value nested too deep is reported at its own key by the value schema.
  return problem?.kind === 'size' ? problem.message : undefined;
};
const Metadata = Type.Refine(
  Type.Record(Type.String(), BoundedJson({ maxBytes: METADATA_LIMITS.valueBytes, maxDepth: METADATA_LIMITS.valueDepth }, 'a metadata value'), {
    maxProperties: METADATA_LIMITS.keys,
    // Record keys are otherwise unchecked: propertyNames is what bounds them.
    propertyNames: SafeText({ maxLength: METADATA_LIMITS.keyLength }),
    description: `Free-form facts about the key: at most ${METADATA_LIMITS.keys} keys, ${METADATA_LIMITS.totalBytes} bytes as JSON`,
  }),
  (value) => metadataTooLarge(value) === undefined,
  (value) => metadataTooLarge(value) ?? 'is not valid',
);
const ConsumerRef = Type.Union([
  Type.String({ minLength: 1, maxLength: 256 }),
  Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  Type.Object({ username: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
]);

const Expiry = {
  expires_at: Type.Optional(Type.String({ format: 'date-time', maxLength: 64 })),
  expires_in: Type.Optional(ExpiresIn),
};

/** The fields of a key a caller may set when creating it or setting its value. */
const KeyFields = {
  display_name: Type.Optional(SafeText({ maxLength: 256 })),
  consumer: Type.Optional(ConsumerRef),
  ...Expiry,
  metadata: Type.Optional(Metadata),
  /** A local or push issuer's name; the default local issuer when absent. */
  issuer: Type.Optional(Type.String({ maxLength: 64 })),
  /** Register this value instead of generating one (our format: treated as ours; any other: external). */
  api_key: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  /** Register a push issuer's key by its SHA-256 digest only (64 hex). */
  sha256: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$' })),
};

export const GenerateKeyBody = Type.Object({ name: Type.Optional(Type.String({ pattern: KEY_NAME_PATTERN })), ...KeyFields }, { additionalProperties: false });
export type GenerateKeyInput = Static<typeof GenerateKeyBody>;

export const RegenerateKeyBody = Type.Object(
  {
    /** Seconds during which the replaced secret keeps working. */
    grace_period: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86_400 })),
    ...Expiry,
  },
  { additionalProperties: false },
);
export type RegenerateKeyInput = Static<typeof RegenerateKeyBody>;

/** PUT: the name is in the path; `api_key` or `sha256` is required (checked by the service). */
export const SetKeyBody = Type.Object(KeyFields, { additionalProperties: false });
export type SetKeyInput = Static<typeof SetKeyBody>;

export const RevocationsBody = Type.Object(
  {
    /** Public ids (16 hex) of keys the issuer revoked. */
    key_ids: Type.Array(Type.String({ pattern: '^[0-9a-f]{16}$' }), { minItems: 1, maxItems: 1000 }),
    issuer: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type RevocationsInput = Static<typeof RevocationsBody>;
