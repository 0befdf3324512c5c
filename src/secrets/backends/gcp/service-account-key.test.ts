import { it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { parseServiceAccountKey } from './service-account-key.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const base = {
  type: 'service_account',
  project_id: 'p-123456',
  private_key_id: 'abc',
  private_key: rsa,
  client_email: 'r@p-123456.iam.gserviceaccount.com',
  token_uri: 'https://oauth2.googleapis.com/token',
};

it('takes a service-account key file, keeping only the fields the client reads', () => {
  const parsed = parseServiceAccountKey(JSON.stringify(base));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.key, { type: 'service_account', client_email: base.client_email, private_key: rsa, private_key_id: 'abc', project_id: 'p-123456' });
});

it('refuses anything else with a problem that never quotes the text', () => {
  const cases: ReadonlyArray<readonly [string, string, RegExp]> = [
    ['not JSON', `{"private_key": "${rsa.slice(30, 90)}`, /not JSON text/],
    ['JSON null', 'null', /not a JSON object/],
    ['a JSON string', JSON.stringify(rsa), /not a JSON object/],
    ['no type', JSON.stringify({ ...base, type: undefined }), /"type" must be "service_account"/],
    ['impersonated_service_account', JSON.stringify({ ...base, type: 'impersonated_service_account' }), /"type" must be/],
    ['external_account (can name URLs and programs)', JSON.stringify({ ...base, type: 'external_account' }), /"type" must be/],
    ['a client_email that is not an address', JSON.stringify({ ...base, client_email: 'nobody' }), /no client_email/],
    ['no private_key', JSON.stringify({ ...base, private_key: undefined }), /no private_key/],
    ['a private_key that is not PEM', JSON.stringify({ ...base, private_key: rsa.replace(/-----[A-Z ]+-----/g, '') }), /not a PEM private key/],
    ['an EC private_key', JSON.stringify({ ...base, private_key: ec }), /not an RSA key/],
    ['a numeric project_id', JSON.stringify({ ...base, project_id: 7 }), /wrong type/],
  ];
  for (const [what, text, problem] of cases) {
    const parsed = parseServiceAccountKey(text);
    assert.equal(parsed.ok, false, what);
    if (parsed.ok) continue;
    assert.match(parsed.problem, problem, what);
    for (const line of [...rsa.split('\n'), ...ec.split('\n')].filter((l) => l.length > 20)) assert.ok(!parsed.problem.includes(line), what);
  }
});
