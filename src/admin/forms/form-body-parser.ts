/**
 * Form bodies on the Admin API, as Kong accepts them: `application/x-www-form-urlencoded`
 * (`curl --data name=web`) and `multipart/form-data` (`curl -F cert=@cert.pem`: a file part's
 * content is the field's text). Both become the object a JSON body would be
 * (`form-fields.ts`), are converted to the route schema's types (`form-coercion.ts`) in a
 * `preValidation` hook, then validated like JSON. Cross-site form posts stay refused by the
 * browser guard (it runs first: `Origin`/`Sec-Fetch-Site`), and the same body size limit applies.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { Busboy } from '@fastify/busboy';
import { PortcullisError } from '../../errors/portcullis-error.js';
import { formFieldsToObject, type FormLimits } from './form-fields.js';
import { coerceFormBody, type PluginSchemaLookup } from './form-coercion.js';

export interface FormBodyOptions extends FormLimits {
  /** Largest body, in bytes (the Admin API's `admin_max_body_size`). */
  readonly bodyLimit: number;
  /** A plugin's config schema, to convert `config.*` fields of plugin bodies. */
  readonly pluginSchema?: PluginSchemaLookup;
}

/** Bodies that came from a form: only these are converted before validation. */
const fromForm = new WeakSet<object>();

/** Adds the two form parsers and the conversion hook to `app`. */
export function registerFormBodyParsers(app: FastifyInstance, options: FormBodyOptions): void {
  app.addContentTypeParser<string>('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: options.bodyLimit }, (_request, body, done) => {
    try {
      done(null, mark(formFieldsToObject(new URLSearchParams(body), options)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('multipart/form-data', (request, payload, done) => {
    readMultipart(request, payload, options).then(
      (fields) => done(null, mark(formFieldsToObject(fields, options))),
      (err: Error) => done(err, undefined),
    );
  });
  app.addHook('preValidation', async (request) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || !fromForm.has(body)) return;
    const schema = (request.routeOptions.schema as { body?: TSchema } | undefined)?.body;
    request.body = coerceFormBody(schema, body as Record<string, unknown>, options.pluginSchema);
  });
}

function mark(body: Record<string, unknown>): Record<string, unknown> {
  fromForm.add(body);
  return body;
}

const badForm = (message: string) => new PortcullisError('PC_BAD_REQUEST', { message: `The multipart body could not be read: ${message}` });

/** The fields of a multipart body, in order; a file part's content is read as UTF-8 text. */
function readMultipart(request: FastifyRequest, payload: NodeJS.ReadableStream, options: FormBodyOptions): Promise<[string, string][]> {
  return new Promise((resolve, reject) => {
    const fields: [string, string][] = [];
    let received = 0;
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      payload.unpipe();
      payload.resume(); // drain what is left so the connection can answer
      reject(err);
    };
    let parser: ReturnType<typeof Busboy>;
    try {
      parser = Busboy({
        headers: request.headers as { 'content-type': string },
        limits: { fields: options.maxFields, files: options.maxFields, parts: options.maxFields, fieldSize: options.bodyLimit, fileSize: options.bodyLimit },
      });
    } catch (err) {
      reject(badForm((err as Error).message));
      return;
    }
    payload.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > options.bodyLimit) fail(new PortcullisError('PC_BODY_TOO_LARGE'));
    });
    parser.on('field', (name, value) => fields.push([name, value]));
    // A file part's stream may end after the parser finished: resolve once both happened.
    let openFiles = 0;
    let finished = false;
    const settle = () => {
      if (finished && openFiles === 0 && !failed) resolve(fields);
    };
    parser.on('file', (name, stream) => {
      const chunks: Buffer[] = [];
      openFiles++;
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => fail(new PortcullisError('PC_BODY_TOO_LARGE')));
      stream.on('end', () => {
        fields.push([name, Buffer.concat(chunks).toString('utf8')]);
        openFiles--;
        settle();
      });
    });
    const tooMany = () =>
      fail(
        new PortcullisError('PC_VALIDATION_FAILED', {
          message: `The body has more than ${options.maxFields} fields`,
          fields: [{ path: '(root)', message: `has more than ${options.maxFields} fields` }],
        }),
      );
    parser.on('fieldsLimit', tooMany);
    parser.on('filesLimit', tooMany);
    parser.on('partsLimit', tooMany);
    parser.on('error', (err) => fail(badForm(String((err as Error)?.message ?? err))));
    parser.on('finish', () => {
      finished = true;
      settle();
    });
    payload.pipe(parser);
  });
}
