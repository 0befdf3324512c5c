import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { inspect } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { PortcullisError } from '../errors/portcullis-error.js';
import { startVaultFake, type VaultFake } from '../../test/fakes/vault-kv2.js';
import { readVaultKeyring, type VaultKeyringOptions } from './vault-keyring-source.js';

const TOKEN = 'hvs.CAESIKeyringReaderTestToken0123456789';
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Runs a read that must fail; returns the error after checking its code and that no secret leaked into it. */
async function refusal(options: VaultKeyringOptions, secrets: readonly string[] = []): Promise<PortcullisError> {
  const err = await readVaultKeyring(options).then(
    () => assert.fail('the read should have failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PortcullisError, `expected a PortcullisError, got ${inspect(err)}`);
  assert.equal(err.code, 'PC_KEYRING_VAULT_UNAVAILABLE');
  assert.equal(err.status, 503);
  const shown = `${err.message}\n${inspect(err, { depth: 5 })}\n${JSON.stringify(err.toBody())}`;
  for (const secret of [options.token, ...secrets]) if (secret !== '') assert.ok(!shown.includes(secret), `the error shows a secret: ${shown}`);
  return err;
}

/** A plain HTTP server on loopback for answers the fake never gives (redirects, sealed, HTML, malformed JSON). */
async function serve(handler: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Answers like Vault with the given metadata and version bodies (`data/...?version=N` → versions[N]). */
const crafted =
  (metadata: unknown, versions: Record<string, unknown> = {}): RequestListener =>
  (req, res) => {
    const version = /[?&]version=(\d+)/.exec(req.url ?? '')?.[1];
    const body = req.url?.includes('/metadata/') ? metadata : versions[version ?? ''];
    if (body === undefined) res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[]}');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

describe('readVaultKeyring', () => {
  let fake: VaultFake;
  let path = 0;
  /** A fresh secret path per test, so tests do not see each other's versions. */
  const fresh = () => `portcullis/keyring-${++path}`;
  const opts = (secretPath: string, extra: Partial<VaultKeyringOptions> = {}): VaultKeyringOptions => ({
    host: fake.url,
    mount: 'secret',
    path: secretPath,
    token: TOKEN,
    timeoutMs: 2000,
    ...extra,
  });

  before(async () => {
    fake = await startVaultFake({ token: TOKEN, mounts: ['secret', 'kv/team'] });
  });
  after(() => fake.close());

  describe('reads', () => {
    it('reads one version as the one active key: SHA-256 of its key string, created_at from created_time', async () => {
      const at = fresh();
      fake.writeSecret('secret', at, { id: 'Abc12345', key: 'the first key string' });
      const seenFrom = fake.requests.length;
      const keyring = await readVaultKeyring(opts(at));
      assert.equal(keyring.active, 'Abc12345');
      assert.equal(keyring.keys.length, 1);
      const [key] = keyring.keys;
      assert.equal(key!.id, 'Abc12345');
      assert.deepEqual(key!.key, sha256('the first key string'));
      assert.equal(key!.key.length, 32);
      assert.ok(Math.abs(key!.created_at - Date.now() / 1000) < 60, `created_at ${key!.created_at}`);
      assert.ok(Number.isInteger(key!.created_at));

      const wire = fake.requests.slice(seenFrom);
      assert.deepEqual(
        wire.map((r) => `${r.method} ${r.path}`),
        [`GET /v1/secret/metadata/${at}`, `GET /v1/secret/data/${at}?version=1`],
      );
      for (const r of wire) {
        assert.equal(r.headers['x-vault-token'], TOKEN);
        assert.equal(r.headers['x-vault-request'], 'true');
        assert.equal(r.headers['x-vault-namespace'], undefined);
      }
    });

    it('reads every version, oldest first, with the current one active', async () => {
      const at = fresh();
      const ids = ['Key00001', 'Key00002', 'Key00003', 'Key00004'];
      for (const id of ids) fake.writeSecret('secret', at, { id, key: `material of ${id}` });
      const keyring = await readVaultKeyring(opts(at));
      assert.deepEqual(
        keyring.keys.map((k) => k.id),
        ids,
      );
      for (const k of keyring.keys) assert.deepEqual(k.key, sha256(`material of ${k.id}`));
      assert.equal(keyring.active, 'Key00004');
    });

    it('skips soft-deleted and destroyed versions, and reads nothing for them', async () => {
      const at = fresh();
      for (const id of ['Gone0001', 'Kept0002', 'Gone0003', 'Kept0004']) fake.writeSecret('secret', at, { id, key: `k-${id}` });
      fake.deleteVersions('secret', at, [1]);
      fake.destroyVersions('secret', at, [3]);
      const seenFrom = fake.requests.length;
      const keyring = await readVaultKeyring(opts(at));
      assert.deepEqual(
        keyring.keys.map((k) => k.id),
        ['Kept0002', 'Kept0004'],
      );
      assert.equal(keyring.active, 'Kept0004');
      const versionsRead = fake.requests
        .slice(seenFrom)
        .map((r) => /version=(\d+)/.exec(r.path)?.[1])
        .filter(Boolean);
      assert.deepEqual(versionsRead.sort(), ['2', '4']);
    });

    it('makes a version written later the active key on the next read, keeping the older keys', async () => {
      const at = fresh();
      fake.writeSecret('secret', at, { id: 'First001', key: 'one' });
      assert.equal((await readVaultKeyring(opts(at))).active, 'First001');
      fake.writeSecret('secret', at, { id: 'Second02', key: 'two' });
      const next = await readVaultKeyring(opts(at));
      assert.equal(next.active, 'Second02');
      assert.deepEqual(
        next.keys.map((k) => k.id),
        ['First001', 'Second02'],
      );
    });

    it('treats a version repeating an earlier id and key as that key (activating it again), not as a new one', async () => {
      const at = fresh();
      fake.writeSecret('secret', at, { id: 'Again001', key: 'same' });
      fake.writeSecret('secret', at, { id: 'Other002', key: 'other' });
      fake.writeSecret('secret', at, { id: 'Again001', key: 'same' });
      const keyring = await readVaultKeyring(opts(at));
      assert.equal(keyring.active, 'Again001');
      assert.deepEqual(
        keyring.keys.map((k) => k.id),
        ['Again001', 'Other002'],
      );
    });

    it('ignores extra fields beside id and key, and accepts nested mounts and slashes around mount and path', async () => {
      const at = fresh();
      fake.writeSecret('kv/team', at, { id: 'Nested01', key: 'n', note: 'rotated by ops' });
      for (const [mount, path] of [
        ['kv/team', at],
        ['/kv/team/', `/${at}/`],
      ]) {
        const keyring = await readVaultKeyring(opts(path!, { mount }));
        assert.equal(keyring.active, 'Nested01');
      }
    });

    it('percent-encodes each segment of the path', async () => {
      const at = `${fresh()}/with space&more`;
      fake.writeSecret('secret', at, { id: 'Encoded1', key: 'e' });
      const seenFrom = fake.requests.length;
      assert.equal((await readVaultKeyring(opts(at))).active, 'Encoded1');
      assert.ok(fake.requests[seenFrom]!.path.endsWith('/with%20space%26more'), fake.requests[seenFrom]!.path);
    });
  });

  describe('refusals', () => {
    it('refuses a wrong or missing token with the 403, never showing the token', async () => {
      const at = fresh();
      fake.writeSecret('secret', at, { id: 'Token001', key: 'the-key-string' });
      for (const token of ['hvs.wrong-token', `${TOKEN}0`, TOKEN.slice(0, -1)]) {
        const err = await refusal(opts(at, { token }), ['the-key-string', TOKEN]);
        assert.match(err.message, /permission denied \(403\)/);
        assert.ok(err.message.includes(fake.url), err.message);
        assert.ok(err.message.includes(`secret/metadata/${at}`), err.message);
      }
    });

    it('refuses a token a header cannot carry before sending anything', async () => {
      const seenFrom = fake.requests.length;
      for (const token of ['', 'hvs.a\r\nX-Injected: 1', 'hvs.with space', 'hvs.é']) {
        const err = await refusal(opts('x', { token }));
        assert.match(err.message, /token is empty or holds characters other than visible ASCII/);
      }
      assert.equal(fake.requests.length, seenFrom);
    });

    it('answers 404 with "no secret", naming mount and path, for a missing secret or mount', async () => {
      for (const [mount, at] of [
        ['secret', 'no/such/keyring'],
        ['nomount', 'portcullis/keyring'],
        ['kv/team', 'no-such'],
      ]) {
        const err = await refusal(opts(at!, { mount }));
        assert.match(err.message, /there is no secret at .+ \(404\)/, err.message);
        assert.ok(err.message.includes(`${mount}/metadata/${at}`), err.message);
      }
    });

    it('refuses malformed versions, naming the version but never the key string', async () => {
      const cases: [string, Record<string, unknown>, RegExp][] = [
        ['no id', { key: 'secret-key-a' }, /version 2 has no valid "id"/],
        ['short id', { id: 'Abc1234', key: 'secret-key-b' }, /version 2 has no valid "id"/],
        ['long id', { id: 'Abc123456', key: 'secret-key-c' }, /version 2 has no valid "id"/],
        ['id with a dash', { id: 'Abc-1234', key: 'secret-key-d' }, /version 2 has no valid "id"/],
        ['numeric id', { id: 12345678, key: 'secret-key-e' }, /version 2 has no valid "id"/],
        ['no key', { id: 'Good0002' }, /version 2 has no "key" string/],
        ['empty key', { id: 'Good0002', key: '' }, /version 2 has no "key" string/],
        ['key not a string', { id: 'Good0002', key: { nested: 'secret-key-f' } }, /version 2 has no "key" string/],
        ['key as a number', { id: 'Good0002', key: 42 }, /version 2 has no "key" string/],
      ];
      for (const [name, data, expected] of cases) {
        const at = fresh();
        fake.writeSecret('secret', at, { id: 'Good0001', key: 'secret-key-good' });
        fake.writeSecret('secret', at, data);
        fake.writeSecret('secret', at, { id: 'Good0003', key: 'secret-key-good-3' });
        const err = await refusal(opts(at), [
          'secret-key-good',
          'secret-key-good-3',
          ...Object.values(data).filter((v): v is string => typeof v === 'string' && v.startsWith('secret')),
        ]);
        assert.match(err.message, expected, name);
      }
    });

    it('refuses one id held by two versions with different keys, naming both versions', async () => {
      const at = fresh();
      fake.writeSecret('secret', at, { id: 'Twice001', key: 'first-secret' });
      fake.writeSecret('secret', at, { id: 'Middle02', key: 'm' });
      fake.writeSecret('secret', at, { id: 'Twice001', key: 'second-secret' });
      const err = await refusal(opts(at), ['first-secret', 'second-secret']);
      assert.match(err.message, /versions 1 and 3 both hold id Twice001 with different keys/);
    });

    it('refuses a current version that is deleted or destroyed, even when older versions are live', async () => {
      for (const [retire, expected] of [
        ['delete', /current version 2 is deleted/],
        ['destroy', /current version 2 is destroyed/],
      ] as const) {
        const at = fresh();
        fake.writeSecret('secret', at, { id: 'Older001', key: 'o' });
        fake.writeSecret('secret', at, { id: 'Newer002', key: 'n' });
        if (retire === 'delete') fake.deleteVersions('secret', at, [2]);
        else fake.destroyVersions('secret', at, [2]);
        const err = await refusal(opts(at));
        assert.match(err.message, expected);
      }
    });

    it('refuses a mount or path with empty, "." or ".." segments before sending anything', async () => {
      const seenFrom = fake.requests.length;
      for (const [mount, at] of [
        ['', 'keyring'],
        ['secret', ''],
        ['secret', '/'],
        ['secret', 'a//b'],
        ['secret', '../sys/policy'],
        ['secret', 'a/./b'],
        ['..', 'keyring'],
      ]) {
        const err = await refusal(opts(at!, { mount }));
        assert.match(err.message, /mount and path must be non-empty/, `${mount} ${at}`);
      }
      assert.equal(fake.requests.length, seenFrom);
    });

    it('refuses a host that is not an http(s) URL, or that carries credentials, a query or a fragment', async () => {
      for (const [host, expected] of [
        ['vault.example.com:8200', /must be an http:\/\/ or https:\/\/ URL/],
        ['not a url', /host is not a URL/],
        ['ftp://127.0.0.1:21', /must be an http:\/\/ or https:\/\/ URL/],
        ['http://user:hunter2@127.0.0.1:8200', /must not carry credentials/],
        ['http://127.0.0.1:8200/?token=x', /must not carry credentials, a query/],
        ['http://127.0.0.1:8200/#frag', /must not carry credentials, a query or a fragment/],
      ] as const) {
        const err = await refusal(opts('keyring', { host }), ['hunter2']);
        assert.match(err.message, expected, host);
      }
    });

    it('refuses a timeout that is not a positive whole number of ms', async () => {
      for (const timeoutMs of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        const err = await refusal(opts('keyring', { timeoutMs }));
        assert.match(err.message, /timeout must be a positive whole number of ms/, String(timeoutMs));
      }
    });

    it('reports an unreachable host', async () => {
      const closed = await serve(() => undefined);
      await closed.close();
      const err = await refusal(opts('keyring', { host: closed.url }));
      assert.match(err.message, /unreachable \(ECONNREFUSED\)/);
      assert.ok(err.message.includes(closed.url));
    });

    it('gives up at the deadline when Vault does not answer', async () => {
      const at = fresh();
      fake.writeSecret('secret', at, { id: 'Slow0001', key: 's' });
      fake.setLatency(1500);
      try {
        const started = Date.now();
        const err = await refusal(opts(at, { timeoutMs: 200 }));
        assert.match(err.message, /no answer within 200 ms/);
        assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
      } finally {
        fake.setLatency(0);
      }
    });

    it('refuses an answer larger than 1 MiB', async () => {
      const at = fresh();
      fake.writeSecret('secret', at, { id: 'Large001', key: 'x'.repeat(1_100_000) });
      const err = await refusal(opts(at));
      assert.match(err.message, /an answer is larger than 1048576 bytes/);
    });

    it('does not follow a redirect, to another host or at all', async () => {
      const at = fresh();
      fake.writeSecret('secret', at, { id: 'Redirect', key: 'r' });
      const redirector = await serve((req, res) => res.writeHead(307, { location: `${fake.url}${req.url}` }).end());
      try {
        const seenFrom = fake.requests.length;
        const err = await refusal(opts(at, { host: redirector.url }));
        assert.match(err.message, /redirect \(307\), which is not followed/);
        assert.equal(fake.requests.length, seenFrom, 'the token must not travel to the redirect target');
      } finally {
        await redirector.close();
      }
    });

    it("reports a Vault error status other than 403 and 404 with Vault's own message, never echoing the token", async () => {
      const cases: [RequestListener, RegExp][] = [
        [
          (_req, res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":["Vault is sealed"]}'),
          /Vault answered 503 \(Vault is sealed\)$/,
        ],
        [
          (_req, res) => res.writeHead(429, { 'retry-after': '1' }).end('{"errors":["1 error occurred:\\n\\t* rate limit quota exceeded\\n\\n"]}'),
          /Vault answered 429 \(1 error occurred: \* rate limit quota exceeded\)$/,
        ],
        [(_req, res) => res.writeHead(500).end(JSON.stringify({ errors: [`bad token ${TOKEN}`] })), /Vault answered 500 \(bad token \[redacted\]\)$/],
        [(_req, res) => res.writeHead(500).end(''), /Vault answered 500$/],
        [(_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>'), /the answer \(status 502\) is not JSON/],
      ];
      for (const [handler, expected] of cases) {
        const server = await serve(handler);
        try {
          const err = await refusal(opts('keyring', { host: server.url }));
          assert.match(err.message, expected);
        } finally {
          await server.close();
        }
      }
    });

    it('refuses malformed metadata or version answers', async () => {
      const version = (n: number, data: unknown, created_time: unknown = '2026-11-30T10:00:00.123456789Z') => ({
        data: { data, metadata: { version: n, created_time, deletion_time: '', destroyed: false } },
      });
      const live = { created_time: '2026-11-30T10:00:00Z', deletion_time: '', destroyed: false };
      const cases: [unknown, Record<string, unknown>, RegExp][] = [
        [{}, {}, /metadata answer has no current_version or versions/],
        [{ data: { current_version: '1', versions: { 1: live } } }, {}, /no current_version or versions/],
        [{ data: { current_version: 1, versions: null } }, {}, /no current_version or versions/],
        [{ data: { current_version: -1, versions: {} } }, {}, /no current_version or versions/],
        [{ data: { current_version: 0, versions: {} } }, {}, /the secret has no versions/],
        [{ data: { current_version: 2, versions: { 1: live } } }, {}, /current version 2 is not in the metadata/],
        [{ data: { current_version: 1, versions: { one: live } } }, {}, /the metadata of version "one" is malformed/],
        [{ data: { current_version: 1, versions: { '01': live } } }, {}, /the metadata of version "01" is malformed/],
        [{ data: { current_version: 1, versions: { 1: { created_time: 'x', destroyed: false } } } }, {}, /version "1" is malformed/],
        [{ data: { current_version: 1, versions: { 1: { created_time: 'x', deletion_time: '', destroyed: 'no' } } } }, {}, /version "1" is malformed/],
        [
          { data: { current_version: 1, versions: { 1: live } } },
          { 1: version(1, { id: 'Crafted1', key: 'k' }, 'yesterday') },
          /version 1 has no valid created_time/,
        ],
        [{ data: { current_version: 1, versions: { 1: live } } }, { 1: version(1, { id: 'Crafted1', key: 'k' }, null) }, /version 1 has no valid created_time/],
        [{ data: { current_version: 1, versions: { 1: live } } }, { 1: { data: null } }, /version 1 has no valid "id"/],
        [{ data: { current_version: 1, versions: { 1: live } } }, {}, /current version 1 was deleted or destroyed while it was being read/],
      ];
      for (const [metadata, versions, expected] of cases) {
        const server = await serve(crafted(metadata, versions));
        try {
          const err = await refusal(opts('keyring', { host: server.url }));
          assert.match(err.message, expected, JSON.stringify(metadata));
        } finally {
          await server.close();
        }
      }
    });

    it('keeps a version whose deletion_time is still in the future, and skips an older version that vanished after the metadata read', async () => {
      const later = new Date(Date.now() + 3_600_000).toISOString();
      const metadata = {
        data: {
          current_version: 3,
          versions: {
            1: { created_time: '2026-11-30T10:00:00Z', deletion_time: '', destroyed: false },
            2: { created_time: '2026-11-30T11:00:00Z', deletion_time: later, destroyed: false },
            3: { created_time: '2026-11-30T12:00:00Z', deletion_time: '', destroyed: false },
          },
        },
      };
      const at = (n: number, id: string) => ({ data: { data: { id, key: id }, metadata: { version: n, created_time: '2026-11-30T12:00:00Z' } } });
      const server = await serve(crafted(metadata, { 2: at(2, 'Expiring'), 3: at(3, 'Current3') }));
      try {
        const keyring = await readVaultKeyring(opts('keyring', { host: server.url }));
        assert.deepEqual(
          keyring.keys.map((k) => k.id),
          ['Expiring', 'Current3'],
        );
        assert.equal(keyring.active, 'Current3');
        assert.equal(keyring.keys[1]!.created_at, Date.parse('2026-11-30T12:00:00Z') / 1000);
      } finally {
        await server.close();
      }
    });
  });
});

describe('readVaultKeyring with a namespace', () => {
  let fake: VaultFake;
  before(async () => {
    fake = await startVaultFake({ token: TOKEN, namespace: 'team/prod' });
    fake.writeSecret('secret', 'keyring', { id: 'InNamesp', key: 'ns' });
  });
  after(() => fake.close());

  it('sends X-Vault-Namespace and reads the keyring inside it', async () => {
    const seenFrom = fake.requests.length;
    const keyring = await readVaultKeyring({ host: fake.url, mount: 'secret', path: 'keyring', token: TOKEN, namespace: 'team/prod' });
    assert.equal(keyring.active, 'InNamesp');
    for (const r of fake.requests.slice(seenFrom)) assert.equal(r.headers['x-vault-namespace'], 'team/prod');
  });

  it('is refused without the namespace, or with another one', async () => {
    for (const namespace of [undefined, 'team', 'other/prod']) {
      const err = await refusal({ host: fake.url, mount: 'secret', path: 'keyring', token: TOKEN, ...(namespace === undefined ? {} : { namespace }) });
      assert.match(err.message, /permission denied \(403\)/, String(namespace));
    }
  });
});

describe('readVaultKeyring over TLS', () => {
  let dir: string;
  let ca: string;
  let otherCa: string;
  let fake: VaultFake;

  /** A throw-away CA and a leaf for 127.0.0.1 signed by it (openssl: Node cannot make certificates). */
  function makeCa(name: string): { key: string; cert: string } {
    const key = join(dir, `${name}.key`);
    const cert = join(dir, `${name}.pem`);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        `/CN=Portcullis test ${name}`,
      ],
      { stdio: 'pipe' },
    );
    return { key, cert };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-vault-tls-'));
    const root = makeCa('ca');
    ca = readFileSync(root.cert, 'utf8');
    otherCa = readFileSync(makeCa('other-ca').cert, 'utf8');
    const leafKey = join(dir, 'leaf.key');
    const csr = join(dir, 'leaf.csr');
    const leaf = join(dir, 'leaf.pem');
    const ext = join(dir, 'leaf.ext');
    writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
    execFileSync(
      'openssl',
      ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', leafKey, '-out', csr, '-subj', '/CN=127.0.0.1'],
      { stdio: 'pipe' },
    );
    execFileSync(
      'openssl',
      ['x509', '-req', '-in', csr, '-CA', root.cert, '-CAkey', root.key, '-set_serial', '1', '-days', '1', '-extfile', ext, '-out', leaf],
      { stdio: 'pipe' },
    );
    fake = await startVaultFake({ token: TOKEN, tls: { key: readFileSync(leafKey), cert: readFileSync(leaf) } });
    fake.writeSecret('secret', 'keyring', { id: 'OverTls1', key: 'tls' });
  });
  after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads when the CA that signed Vault's certificate is given", async () => {
    assert.ok(fake.url.startsWith('https://'));
    const keyring = await readVaultKeyring({ host: fake.url, mount: 'secret', path: 'keyring', token: TOKEN, ca });
    assert.equal(keyring.active, 'OverTls1');
  });

  it('refuses the connection, sending no token, without the CA or with another CA', async () => {
    for (const extra of [{}, { ca: otherCa }]) {
      const seenFrom = fake.requests.length;
      const err = await refusal({ host: fake.url, mount: 'secret', path: 'keyring', token: TOKEN, ...extra });
      assert.match(err.message, /the TLS connection was refused \([A-Z_]+\)/, err.message);
      assert.equal(fake.requests.length, seenFrom);
    }
  });
});
