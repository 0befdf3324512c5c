/**
 * The `request-termination` plugin: its access phase answers with the configured status instead
 * of proxying. The answer is prepared once per configuration, so a request costs no allocation.
 * Without `body` the answer is the usual JSON error, code `PC_PROXY_REQUEST_TERMINATED`.
 */
import type { AccessOutcome, PluginDefinition, PluginInstance } from '../plugin.js';
import { RequestTerminationSchema, type RequestTerminationConfig } from './schema.js';

const DEFAULT_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Builds the one outcome every request on the scope gets. */
export function terminationOutcome(config: RequestTerminationConfig): AccessOutcome {
  if (config.body !== undefined) {
    return Object.freeze({
      kind: 'respond',
      status: config.status_code,
      headers: Object.freeze({ 'content-type': config.content_type ?? DEFAULT_CONTENT_TYPE }),
      body: Buffer.from(config.body),
    });
  }
  return Object.freeze({
    kind: 'reject',
    status: config.status_code,
    code: 'PC_PROXY_REQUEST_TERMINATED',
    ...(config.message !== undefined ? { message: config.message } : {}),
  });
}

/** Plugin `request-termination`, priority 2 (after authentication, as in Kong). */
export const requestTerminationPlugin: PluginDefinition<RequestTerminationConfig> = {
  name: 'request-termination',
  priority: 2,
  configSchema: RequestTerminationSchema,
  create(config): PluginInstance {
    const outcome = terminationOutcome(config);
    return { access: () => outcome };
  },
};
