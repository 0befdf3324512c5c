/** Schema pieces shared by several entities. */
import Type from 'typebox';
import { SafeText } from '../schema/safe-text.js';

export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$';

export const Name = Type.String({ pattern: NAME_PATTERN, description: 'letters, digits, . _ ~ -; at most 128 chars' });
/** Labels on any entity: no `,`, `/` or whitespace (they separate tags in `?tags=a,b` and `?tags=a/b` filters, as in Kong), no invisible characters; compared in NFC. */
export const Tags = Type.Array(SafeText({ maxLength: 128, alsoRefuse: ',/\\s' }), { maxItems: 64, uniqueItems: true });
export const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });
/** A reference to another entity in a body: `{"id": "<uuid>"}` or `{"name": "<name>"}`. */
export const ForeignInput = Type.Union([
  Type.Object({ id: Uuid }, { additionalProperties: false }),
  Type.Object({ name: SafeText({ maxLength: 128 }) }, { additionalProperties: false }),
  Type.Object({ username: SafeText({ maxLength: 128 }) }, { additionalProperties: false }),
  Type.Null(),
]);
export const Timeout = Type.Union([Type.Integer({ minimum: 1, maximum: 2_147_483_646 }), Type.Null()]);

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
