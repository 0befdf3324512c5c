/**
 * The Admin API's Fastify validator compiler: every route schema (body, querystring, params) is
 * compiled by `schema/validator.ts`, the validator the config and plugin schemas use, so a bad
 * request is always 400 `PC_VALIDATION_FAILED` with dotted field paths. Query strings and path
 * parameters arrive as text and are converted to the schema's types (`size=10` → 10) first.
 * Human-chosen text (`SafeText` fields: usernames, tags, display names) is normalised to NFC
 * before it is validated, so handlers, the store and its unique indexes see one form of a name.
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { createValidator, type Validator } from '../schema/validator.js';
import { normalizeText } from '../schema/safe-text.js';
import { PortcullisError } from '../errors/portcullis-error.js';

const PART_NAMES: Readonly<Record<string, string>> = {
  body: 'body',
  querystring: 'query string',
  params: 'path',
  headers: 'headers',
};

/** Builds the compiler; compiled validators are cached per schema object for this server. */
export function createValidatorCompiler(): FastifySchemaCompiler<TSchema> {
  const cache = new WeakMap<object, Validator<unknown>>();
  const validatorFor = (schema: TSchema): Validator<unknown> => {
    let validator = cache.get(schema);
    if (!validator) {
      validator = createValidator(schema) as Validator<unknown>;
      cache.set(schema, validator);
    }
    return validator;
  };

  return ({ schema, httpPart }) => {
    const validator = validatorFor(schema);
    const converts = httpPart === 'querystring' || httpPart === 'params' || httpPart === 'headers';
    const part = PART_NAMES[httpPart ?? 'body'] ?? String(httpPart);
    return (data: unknown) => {
      // No body at all (or a bare `null`): say so rather than "(root) must be object".
      if (httpPart === 'body' && (data === undefined || data === null)) {
        return { error: new PortcullisError('PC_BAD_REQUEST', { message: 'A JSON body is required' }) };
      }
      const value = normalizeText(schema, converts ? Value.Convert(schema, data) : data);
      const fields = validator.errors(value);
      if (fields.length === 0) return { value };
      const summary = fields.map((f) => `${f.path} ${f.message}`).join('; ');
      return { error: new PortcullisError('PC_VALIDATION_FAILED', { message: `The ${part} is not valid: ${summary}`, fields }) };
    };
  };
}
