/**
 * TLS through a running node (real handshakes on loopback; certificates made here by a TEST-ONLY
 * CA), on SQLite and PostgreSQL: what an operator does through the Admin API and what clients and
 * upstreams see.
 *
 * - SNI selects the certificate: exact name, then wildcard, then the node's default certificate.
 * - A certificate replaced through the Admin API is served to new connections without a restart,
 *   while a connection opened before keeps working.
 * - A key given as a `{vault://env/…}` reference, and one in the built-in `store` vault whose
 *   rotation changes the certificate served; the key column holds a `$ke$1$` ciphertext.
 * - Expired and mismatched pairs are refused with 400.
 * - Upstream TLS: an untrusted upstream fails with 502 PC_PROXY_UPSTREAM_TLS_UNTRUSTED and works once
 *   the service lists its CA; mTLS to an upstream that requires a client certificate.
 * - https-only routes: 426 or a redirect over plain HTTP, served over TLS with X-Forwarded-Proto https.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { createServer as createHttpsServer, request as httpsRequest, Agent, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { get as httpGet } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { startTestNode, type TestNode } from '../support/running-node.js';
import { DIALECTS } from '../support/databases.js';
import { createTestCa, DAY, type TestCa, type TestCertificate } from '../support/certificates.js';
import { dataFolder } from '../../src/keyring/keyring-local-material.js';

interface Handshake {
  readonly fingerprint: string | null;
  readonly error: string | null;
}

/** Opens a TLS connection to the node's HTTPS listener and reports the certificate it served. */
function handshake(port: number, servername: string | undefined): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ...(servername ? { servername } : {}), rejectUnauthorized: false });
    socket.once('secureConnect', () => {
      resolve({ fingerprint: socket.getPeerCertificate().fingerprint256 ?? null, error: null });
      socket.destroy();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve({ fingerprint: null, error: err.code ?? err.message }));
  });
}

interface HttpsAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly fingerprint: string | undefined;
}

/** One HTTPS request to the node with `servername` as SNI and Host, trusting `ca`. */
function httpsGet(port: number, servername: string, path: string, ca: string, agent?: Agent): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, servername, path, ca, headers: { host: servername }, ...(agent ? { agent } : {}) }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, fingerprint }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** An HTTPS upstream on loopback that echoes what it saw (SNI, client certificate, forwarded headers). */
async function startHttpsUpstream(options: { cert: TestCertificate; clientCa?: TestCa }): Promise<{ server: Server; port: number }> {
  const server = createHttpsServer(
    {
      cert: options.cert.cert,
      key: options.cert.key,
      ...(options.clientCa ? { requestCert: true, rejectUnauthorized: true, ca: options.clientCa.cert } : {}),
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = options.clientCa ? socket.getPeerCertificate() : null;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sni: socket.servername, client: peer?.subject?.CN ?? null, proto: req.headers['x-forwarded-proto'] ?? null }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const fp = (c: TestCertificate) => c.x509.fingerprint256;

for (const dialect of DIALECTS) {
  describe(`TLS through a running node (${dialect})`, () => {
    let t: TestNode;
    let tlsPort: number;
    let ca: TestCa;
    let exact: TestCertificate;
    let wildcard: TestCertificate;
    let envCert: TestCertificate;
    const upstreams: Server[] = [];

    before(async () => {
      ca = await createTestCa();
      [exact, wildcard, envCert] = await Promise.all([
        ca.issue({ names: ['api.example.test'], keyType: 'rsa' }),
        ca.issue({ names: ['*.example.test'] }),
        ca.issue({ names: ['env.example.org'] }),
      ]);
      t = await startTestNode(dialect, { env: { TLS_ENV_KEY: envCert.key } });
      tlsPort = t.node.proxyTlsAddress!.port;
    });
    after(async () => {
      for (const u of upstreams) u.close();
      await t?.close();
    });

    it('selects the certificate by SNI: exact name, then wildcard, then the default certificate', async () => {
      const a = await t.call('POST', '/certificates', { cert: exact.cert, key: exact.key, snis: ['api.example.test'] });
      assert.equal(a.status, 201, a.text);
      const w = await t.call('POST', '/certificates', { cert: wildcard.cert, key: wildcard.key, snis: ['*.example.test'] });
      assert.equal(w.status, 201, w.text);
      const defaultCert = new X509Certificate(readFileSync(join(dataFolder(t.node.config), 'tls-default.crt')));
      const cases: [string | undefined, string][] = [
        ['api.example.test', fp(exact)],
        ['API.Example.Test', fp(exact)],
        ['www.example.test', fp(wildcard)],
        ['deep.www.example.test', defaultCert.fingerprint256],
        ['example.test', defaultCert.fingerprint256],
        ['unknown.org', defaultCert.fingerprint256],
        [undefined, defaultCert.fingerprint256],
      ];
      for (const [name, expected] of cases) {
        const seen = await handshake(tlsPort, name);
        assert.equal(seen.fingerprint, expected, `SNI ${name ?? '(none)'}: ${seen.error ?? ''}`);
      }
    });

    it('serves a replaced certificate to new connections without a restart; an open connection keeps its own', async () => {
      await t.call('POST', '/services', { name: 'echo', url: 'http://127.0.0.1:9' });
      const upstream = await startHttpsUpstream({ cert: await ca.issue({ names: ['127.0.0.1', 'localhost'] }) });
      upstreams.push(upstream.server);
      assert.equal((await t.call('PATCH', '/services/echo', { url: `https://localhost:${upstream.port}`, ca_certificates: [] })).status, 200);
      const caRow = await t.call('POST', '/ca_certificates', { cert: ca.cert });
      assert.equal(caRow.status, 201, caRow.text);
      assert.equal((await t.call('PATCH', '/services/echo', { ca_certificates: [caRow.body.id] })).status, 200);
      assert.equal((await t.call('POST', '/services/echo/routes', { name: 'echo', paths: ['/echo'] })).status, 201);

      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const first = await httpsGet(tlsPort, 'rotate.example.org', '/echo', ca.cert, agent).catch((e) => e);
      // No certificate for rotate.example.org yet: the default one, which the test CA did not sign.
      assert.ok(first instanceof Error, 'the default certificate is not trusted by the test CA');

      const before = await ca.issue({ names: ['rotate.example.org'] });
      const created = await t.call('POST', '/certificates', { cert: before.cert, key: before.key, snis: ['rotate.example.org'] });
      assert.equal(created.status, 201, created.text);
      const open = await httpsGet(tlsPort, 'rotate.example.org', '/echo', ca.cert, agent);
      assert.equal(open.status, 200, open.body);
      assert.equal(open.fingerprint, fp(before));

      const after = await ca.issue({ names: ['rotate.example.org'], keyType: 'rsa' });
      const replaced = await t.call('PATCH', `/certificates/${created.body.id}`, { cert: after.cert, key: after.key });
      assert.equal(replaced.status, 200, replaced.text);
      assert.equal((await handshake(tlsPort, 'rotate.example.org')).fingerprint, fp(after), 'a new connection gets the new certificate');
      const again = await httpsGet(tlsPort, 'rotate.example.org', '/echo', ca.cert, agent);
      assert.equal(again.status, 200);
      assert.equal(again.fingerprint, fp(before), 'the connection opened before keeps the certificate it was opened with');
      agent.destroy();
    });

    it('loads a key given as a {vault://env/…} reference, and keeps literal keys as $ke$1$ ciphertexts', async () => {
      const created = await t.call('POST', '/certificates', { cert: envCert.cert, key: '{vault://env/tls-env-key}', snis: ['env.example.org'] });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.key, '{vault://env/tls-env-key}', 'a reference may be shown');
      assert.equal((await handshake(tlsPort, 'env.example.org')).fingerprint, fp(envCert));

      const listed = await t.call('GET', '/certificates');
      for (const c of listed.body.data as Record<string, unknown>[]) {
        if (c['key'] !== '{vault://env/tls-env-key}') assert.equal(c['key'], null, 'a literal key is never shown');
      }
      assert.ok(!listed.text.includes(exact.key.split('\n')[1]!), 'no line of a private key in a listing');
      const rows = await t.node.store.db.selectFrom('certificates').select(['id', 'key']).execute();
      const literal = rows.filter((r) => r['id'] !== created.body.id);
      assert.ok(literal.length >= 2);
      for (const r of literal) assert.match(String(r['key']), /^\$ke\$1\$/);
    });

    it('keeps serving its certificates across a keyring rotation: a new active key and a rewrap rebuild the secure contexts', async () => {
      const versionOf = async () => Number(/^portcullis_config_rebuilds_total (\d+)/m.exec((await t.call('GET', '/metrics')).text)?.[1]);
      const before = await versionOf();
      const generated = await t.call('POST', '/keyring/generate');
      assert.equal(generated.status, 200, generated.text);
      assert.equal((await t.call('POST', '/keyring/activate', { key: generated.body.id })).status, 204);
      assert.equal((await t.call('POST', '/keyring/rewrap')).status, 202);
      const deadline = Date.now() + 10_000;
      while ((await t.call('GET', '/keyring/rewrap')).body.status === 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal((await t.call('GET', '/keyring/rewrap')).body.status, 'done');
      const rows = await t.node.store.db.selectFrom('certificates').select(['key']).execute();
      const literal = rows.map((r) => String(r['key'])).filter((k) => k.startsWith('$ke$'));
      assert.ok(literal.length >= 2);
      for (const k of literal) assert.ok(k.startsWith(`$ke$1$-${generated.body.id}-`), 'every key is under the new active key');
      assert.ok((await versionOf()) > before, 'the proxy state (and its secure contexts) was rebuilt');
      assert.equal((await handshake(tlsPort, 'api.example.test')).fingerprint, fp(exact));
      assert.equal((await handshake(tlsPort, 'www.example.test')).fingerprint, fp(wildcard));
    });

    it('serves the new certificate after its key and certificate rotate in the store vault', async () => {
      assert.equal((await t.call('POST', '/vaults', { prefix: 'tls', name: 'store' })).status, 201);
      const one = await ca.issue({ names: ['vaulted.example.org'] });
      assert.equal((await t.call('PUT', '/vaults/tls/secrets/vaulted-cert', { value: one.cert })).status, 201);
      assert.equal((await t.call('PUT', '/vaults/tls/secrets/vaulted-key', { value: one.key })).status, 201);
      const created = await t.call('POST', '/certificates', {
        cert: '{vault://tls/vaulted-cert}',
        key: '{vault://tls/vaulted-key}',
        snis: ['vaulted.example.org'],
      });
      assert.equal(created.status, 201, created.text);
      assert.equal((await handshake(tlsPort, 'vaulted.example.org')).fingerprint, fp(one));

      const two = await ca.issue({ names: ['vaulted.example.org'] });
      await t.call('PUT', '/vaults/tls/secrets/vaulted-cert', { value: two.cert });
      await t.call('PUT', '/vaults/tls/secrets/vaulted-key', { value: two.key });
      const deadline = Date.now() + 5000;
      let seen = await handshake(tlsPort, 'vaulted.example.org');
      while (seen.fingerprint !== fp(two) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        seen = await handshake(tlsPort, 'vaulted.example.org');
      }
      assert.equal(seen.fingerprint, fp(two));
    });

    it('refuses a key reference that cannot be resolved now with 400 PC_VAULT_UNRESOLVED, unless ?allow_unresolved=true', async () => {
      const pair = await ca.issue({ names: ['later.example.org'] });
      const body = { cert: pair.cert, key: '{vault://env/tls-not-there-yet}' };
      const refused = await t.call('POST', '/certificates', body);
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.body.code, 'PC_VAULT_UNRESOLVED');
      assert.deepEqual(
        (refused.body.fields as { path: string }[]).map((f) => f.path),
        ['key'],
      );
      const saved = await t.call('POST', '/certificates?allow_unresolved=true', { ...body, snis: ['later.example.org'] });
      assert.equal(saved.status, 201, saved.text);
      assert.equal((await handshake(tlsPort, 'later.example.org')).fingerprint, null, 'its name is refused, never given the default certificate');
    });

    it('refuses expired and mismatched pairs with 400 naming the field, quoting no PEM', async () => {
      const expired = await ca.issue({ names: ['old.example.org'], notBefore: Date.now() - 30 * DAY, notAfter: Date.now() - DAY });
      const other = await ca.issue({ names: ['other.example.org'] });
      const cases = [
        { body: { cert: expired.cert, key: expired.key }, field: 'cert' },
        { body: { cert: exact.cert, key: other.key }, field: 'key' },
      ];
      for (const { body, field } of cases) {
        const res = await t.call('POST', '/certificates', body);
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
        assert.ok(
          (res.body.fields as { path: string }[]).some((f) => f.path === field),
          res.text,
        );
        assert.ok(!res.text.includes('BEGIN'), 'no PEM in the error');
      }
    });

    it('verifies upstreams: untrusted fails with 502 naming the class, works with the CA; mTLS with a client certificate', async () => {
      const otherCa = await createTestCa({ name: 'Upstream TEST-ONLY CA' });
      const upstream = await startHttpsUpstream({ cert: await otherCa.issue({ names: ['localhost'] }) });
      upstreams.push(upstream.server);
      assert.equal((await t.call('POST', '/services', { name: 'secure', url: `https://localhost:${upstream.port}` })).status, 201);
      assert.equal((await t.call('POST', '/services/secure/routes', { name: 'secure', paths: ['/secure'] })).status, 201);
      const untrusted = await t.proxy('/secure');
      assert.equal(untrusted.status, 502);
      assert.equal(((await untrusted.json()) as { code: string }).code, 'PC_PROXY_UPSTREAM_TLS_UNTRUSTED');

      const caRow = await t.call('POST', '/ca_certificates', { cert: otherCa.cert });
      assert.equal(caRow.status, 201, caRow.text);
      assert.equal((await t.call('PATCH', '/services/secure', { ca_certificates: [caRow.body.id] })).status, 200);
      const trusted = await t.proxy('/secure');
      assert.equal(trusted.status, 200);
      assert.equal(((await trusted.json()) as { sni: string }).sni, 'localhost', 'SNI to the upstream is its host');

      const clientCa = await createTestCa({ name: 'Client TEST-ONLY CA' });
      const mtls = await startHttpsUpstream({ cert: await otherCa.issue({ names: ['localhost'] }), clientCa });
      upstreams.push(mtls.server);
      assert.equal((await t.call('POST', '/services', { name: 'mtls', url: `https://localhost:${mtls.port}`, ca_certificates: [caRow.body.id] })).status, 201);
      assert.equal((await t.call('POST', '/services/mtls/routes', { name: 'mtls', paths: ['/mtls'] })).status, 201);
      const without = await t.proxy('/mtls');
      assert.equal(without.status, 502);
      assert.equal(((await without.json()) as { code: string }).code, 'PC_PROXY_UPSTREAM_TLS_HANDSHAKE');

      const client = await clientCa.issue({ names: ['portcullis-client'], client: true });
      const clientRow = await t.call('POST', '/certificates', { cert: client.cert, key: client.key });
      assert.equal(clientRow.status, 201, clientRow.text);
      assert.equal((await t.call('PATCH', '/services/mtls', { client_certificate: { id: clientRow.body.id } })).status, 200);
      const withCert = await t.proxy('/mtls');
      assert.equal(withCert.status, 200);
      assert.equal(((await withCert.json()) as { client: string }).client, 'portcullis-client');
    });

    it('answers https-only routes over plain HTTP with 426 or a redirect, and serves them over TLS with X-Forwarded-Proto https', async () => {
      const upstream = await startHttpsUpstream({ cert: await ca.issue({ names: ['localhost'] }) });
      upstreams.push(upstream.server);
      const caRow = (await t.call('GET', '/ca_certificates')).body.data.find((c: { cert: string }) => c.cert === ca.cert);
      assert.ok(caRow, 'the test CA was added before');
      assert.equal(
        (await t.call('POST', '/services', { name: 'only-tls', url: `https://localhost:${upstream.port}`, ca_certificates: [caRow.id] })).status,
        201,
      );
      assert.equal((await t.call('POST', '/services/only-tls/routes', { name: 'strict', paths: ['/strict'], protocols: ['https'] })).status, 201);
      const redirect = await t.call('POST', '/services/only-tls/routes', {
        name: 'moved',
        paths: ['/moved'],
        protocols: ['https'],
        https_redirect_status_code: 308,
      });
      assert.equal(redirect.status, 201, redirect.text);

      const plain = await t.proxy('/strict');
      assert.equal(plain.status, 426);
      assert.equal(((await plain.json()) as { code: string }).code, 'PC_PROXY_HTTPS_REQUIRED');
      // fetch cannot set Host: node:http can.
      const moved = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) =>
        httpGet({ host: '127.0.0.1', port: t.node.proxyAddress.port, path: '/moved/a?b=c', headers: { host: 'api.example.test' } }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, location: res.headers.location });
        }).once('error', reject),
      );
      assert.equal(moved.status, 308);
      assert.equal(moved.location, `https://api.example.test:${tlsPort}/moved/a?b=c`);

      const secure = await httpsGet(tlsPort, 'api.example.test', '/strict', ca.cert);
      assert.equal(secure.status, 200, secure.body);
      assert.equal(JSON.parse(secure.body).proto, 'https');
    });
  });
}
