/**
 * The TEST-ONLY TLS fixtures (test/fixtures/tls/README.md): a CA that `scripts/run-tests.mjs` makes
 * every test process trust (NODE_EXTRA_CA_CERTS), and a leaf for localhost/127.0.0.1/::1 that the
 * HTTPS fakes serve.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = (name: string) => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url));

export const TEST_CA_PATH = file('test-ca.pem');
export const TEST_CA_PEM = readFileSync(TEST_CA_PATH, 'utf8');
/** Key and certificate for `https.createServer` (localhost, 127.0.0.1, ::1). */
export const LOCALHOST_TLS = { key: readFileSync(file('localhost-key.pem'), 'utf8'), cert: readFileSync(file('localhost.pem'), 'utf8') } as const;
