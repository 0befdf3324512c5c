/**
 * Configuration of `request-termination` (Kong's plugin of the same name): answer every request
 * on the scope with a fixed status and body instead of proxying it, e.g. to take a route offline.
 */
import Type, { type Static } from 'typebox';

export const RequestTerminationSchema = Type.Object(
  {
    status_code: Type.Integer({ minimum: 100, maximum: 599, default: 503, description: 'Status of the response' }),
    message: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Message of the JSON error body `{code, message}`' })),
    body: Type.Optional(Type.String({ maxLength: 65_536, description: 'A raw body sent instead of the JSON error; takes precedence over message' })),
    content_type: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\x00-\\x1f\\x7f]+$', description: 'Content type of `body`' })),
  },
  { additionalProperties: false },
);

export type RequestTerminationConfig = Static<typeof RequestTerminationSchema>;
