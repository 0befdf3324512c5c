/**
 * Types `header` and `basic`: a credential sent as one header. `header` sets the configured header
 * to the configured value; `basic` sets `Authorization: Basic base64(user-id ":" password)` with
 * both in UTF-8 (RFC 7617). The client's copy of that header (and its `_` spellings) is removed
 * first, so it never reaches the upstream beside ours. The header value is computed once per
 * credential change, never per request.
 */
import { CONTINUE, type RequestContext, type UpstreamOutcome } from '../plugin.js';
import { recordUsed, type CredentialUpdate, type UpstreamCredential } from './credential.js';
import { controlProblem, headerValueProblem, removeHeader } from './header-fields.js';

/** One version of the credential: the header value to send. */
interface HeaderSnapshot {
  readonly value: string;
}

/** Field values by config path → the header value, or a problem that names the field. */
type Render = (fields: ReadonlyMap<string, string>) => { readonly value: string } | { readonly problem: string };

/** Type `header`: `name` (lower-case) set to `value`, which may have come from a reference. */
export function createHeaderCredential(name: string, value: string): UpstreamCredential {
  return staticHeader(name, new Map([['header_value', value]]), (fields) => {
    const v = fields.get('header_value')!;
    const problem = headerValueProblem('header_value', v);
    return problem === undefined ? { value: v } : { problem };
  });
}

/** Type `basic`: `Authorization: Basic …` from `username` and `password`. */
export function createBasicCredential(username: string, password: string): UpstreamCredential {
  const fields = new Map([
    ['username', username],
    ['password', password],
  ]);
  return staticHeader('authorization', fields, (f) => {
    const user = f.get('username')!;
    const pass = f.get('password')!;
    const problem = controlProblem('username', user) ?? controlProblem('password', pass);
    if (problem !== undefined) return { problem };
    if (user.includes(':')) return { problem: 'username holds a colon, which Basic credentials cannot carry (RFC 7617)' };
    return { value: `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}` };
  });
}

function staticHeader(name: string, initial: ReadonlyMap<string, string>, render: Render): UpstreamCredential {
  let fields = initial;
  const first = render(fields);
  // The factory fails, so the configuration fails closed (500) with this message in the log.
  if ('problem' in first) throw new Error(first.problem);
  let snapshot: HeaderSnapshot = Object.freeze({ value: first.value });

  return {
    apply(ctx: RequestContext): UpstreamOutcome {
      const headers = ctx.upstreamHeaders;
      removeHeader(headers, name);
      headers[name] = snapshot.value;
      recordUsed(ctx, snapshot);
      return CONTINUE;
    },
    current: () => snapshot,
    update(values): CredentialUpdate {
      const next = new Map(fields);
      for (const path of fields.keys()) {
        const value = values.get(path);
        if (value !== undefined) next.set(path, value);
      }
      const rendered = render(next);
      if ('problem' in rendered) return { kind: 'invalid', problem: rendered.problem };
      if (rendered.value === snapshot.value) return { kind: 'same' };
      fields = next;
      snapshot = Object.freeze({ value: rendered.value });
      return { kind: 'changed' };
    },
  };
}
