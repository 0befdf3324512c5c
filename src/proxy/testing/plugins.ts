/**
 * Small plugin definitions for proxy tests: `tag` adds its configured value to an upstream
 * header (so a test sees which configuration ran), `auth` authenticates the consumer named in a
 * request header, `slow-auth` does the same asynchronously.
 */
import Type from 'typebox';
import type { AccessOutcome, PluginDefinition, RequestContext } from '../../plugins/plugin.js';
import { CONTINUE } from '../../plugins/plugin.js';

/** Appends `config.value` to the `x-tags` upstream header and the `x-tags` response header. */
export function tagPlugin(name = 'tag', priority = 100, closed: string[] = []): PluginDefinition {
  return {
    name,
    priority,
    configSchema: Type.Object({ value: Type.String() }, { additionalProperties: false }),
    create(config) {
      const value = `${name}:${String(config['value'])}`;
      return {
        access(ctx) {
          const prior = ctx.upstreamHeaders['x-tags'];
          ctx.upstreamHeaders['x-tags'] = prior ? `${String(prior)},${value}` : value;
          return CONTINUE;
        },
        response(_ctx, head) {
          const prior = head.headers['x-tags'];
          head.headers['x-tags'] = prior ? `${String(prior)},${value}` : value;
        },
        close: () => void closed.push(value),
      };
    },
  };
}

function authenticateFromHeader(ctx: RequestContext): AccessOutcome {
  const id = ctx.req.headers['x-consumer'];
  if (typeof id !== 'string') return { kind: 'reject', status: 401, code: 'PC_AUTH_KEY_INVALID', headers: { 'www-authenticate': 'Test' } };
  return { kind: 'authenticated', consumer: { id, username: null, custom_id: null }, credentialId: 'cred-1' };
}

/** Authenticates the consumer whose id is in `x-consumer`; 401 without it. Priority 1000. */
export const authPlugin: PluginDefinition = {
  name: 'auth',
  priority: 1000,
  isAuthentication: true,
  configSchema: Type.Object({}),
  create: () => ({ access: authenticateFromHeader }),
};

/** Like `auth`, answering after a timer tick. */
export const slowAuthPlugin: PluginDefinition = {
  name: 'slow-auth',
  priority: 1000,
  isAuthentication: true,
  configSchema: Type.Object({}),
  create: () => ({ access: (ctx) => new Promise((resolve) => setTimeout(() => resolve(authenticateFromHeader(ctx)), 5)) }),
};
