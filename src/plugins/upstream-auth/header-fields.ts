/**
 * Checks of resolved credential values before they go into a header (the schema cannot check a
 * value that was still a `{vault://…}` reference when the configuration was written), and the
 * removal of a client's copy of a credential header. Problems name the field, never its value.
 */

/** Characters a header value cannot hold: controls other than horizontal tab (RFC 9110 §5.5). */
const NOT_IN_HEADER = /[\x00-\x08\x0a-\x1f\x7f]/;
const CONTROL = /[\x00-\x1f\x7f]/;

/** Why `value` of `field` cannot be sent in a header, or undefined. */
export function headerValueProblem(field: string, value: string): string | undefined {
  if (value === '') return `${field} is empty`;
  return NOT_IN_HEADER.test(value) ? `${field} holds a character a header cannot carry (a line break?)` : undefined;
}

/** Why `value` of `field` cannot be used as text without control characters, or undefined. */
export function controlProblem(field: string, value: string): string | undefined {
  if (value === '') return `${field} is empty`;
  return CONTROL.test(value) ? `${field} holds a control character (a line break?)` : undefined;
}

/**
 * Removes header `name` (lower-case) from `headers`, and its spellings with `_` for `-`, which
 * CGI-style upstreams (PHP, WSGI …) read as the same header.
 */
export function removeHeader(headers: Record<string, unknown>, name: string): void {
  delete headers[name];
  if (name.indexOf('-') === -1) return;
  for (const key in headers) {
    if (key.indexOf('_') !== -1 && key.replace(/_/g, '-') === name) delete headers[key];
  }
}
