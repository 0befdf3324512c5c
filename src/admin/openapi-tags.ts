/**
 * The tag definitions of the OpenAPI document: one per group of Admin API endpoints, with what an
 * operator finds there. A tag no entry here describes (a route added through `extraRoutes`) gets a
 * generic description naming its paths, so the document never carries an undefined tag.
 */

const TAG_DESCRIPTIONS: Readonly<Record<string, string>> = {
  node: 'This node: what it runs, its health and readiness, its Prometheus metrics and this OpenAPI document.',
  services: 'Upstream services the proxy forwards to, with their timeouts, retries and TLS settings.',
  routes: 'Rules (hosts, paths, methods, headers) that match client requests to a service.',
  consumers: 'The clients of the gateway: who an API key or basic-auth credential identifies.',
  plugins: 'Plugin instances (key-auth, rate limiting …) applied globally or to a service, route or consumer.',
  certificates: 'TLS certificates and keys the proxy serves for its SNIs (the private key is stored encrypted).',
  snis: 'Server names that select the certificate the proxy presents.',
  ca_certificates: 'Trusted CA certificates for verifying upstream servers.',
  'api-keys': 'API keys of services and consumers: generate, register, list (masked), regenerate with a grace period, revoke.',
  'basic-auth': "Consumers' basic-auth credentials (passwords are stored hashed, never shown).",
  keyring: 'The keyring that encrypts sensitive fields at rest: keys, the active key, export, import, rewrap.',
  vaults: 'Vaults that secret references (`{vault://…}`) resolve through, and the secrets of the built-in store vault.',
  clustering: 'The nodes sharing this database and the propagation of cluster events.',
  tags: 'Every entity by tag, across entity kinds.',
  schemas: 'The JSON schemas of the entities and plugins, and validation without writing.',
};

/** Tag objects for `tags`, in the order given. */
export function tagDefinitions(tags: Iterable<string>): { name: string; description: string }[] {
  return [...tags].map((name) => ({ name, description: TAG_DESCRIPTIONS[name] ?? `The \`/${name}\` endpoints.` }));
}
