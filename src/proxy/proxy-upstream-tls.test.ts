/**
 * Verified TLS to upstreams, end to end through the proxy: real HTTPS upstreams on loopback with
 * certificates made here, each TLS failure class answered 502 with its own code, `tls_verify`,
 * `tls_verify_depth`, `ca_certificates`, mTLS with `client_certificate`, the SNI sent, and a
 * service whose certificates cannot be loaded refused without connecting. No key text ever
 * reaches a response or a log line.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerOptions } from 'node:https';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from '../entities/services.js';
import { createTestCa, createSelfSignedTestCertificate, DAY, type TestCa, type TestCertificate } from '../../test/support/certificates.js';
import { createEntityFactory } from './testing/entities.js';
import { send, startProxy, startUpstream, type TestResponse } from './testing/harness.js';
import { capturingLogger, pemLines, startTlsUpstream, type TlsEcho, type TlsUpstream } from './testing/tls-upstream.js';
import type { RuntimeSnapshot } from './runtime-state.js';

const make = createEntityFactory();
const log = capturingLogger();
/** Every response body the tests saw: checked at the end for key text. */
const seen: string[] = [];

interface TlsFields {
  readonly tls_verify?: boolean | null;
  readonly tls_verify_depth?: number | null;
  readonly ca_certificates?: readonly string[] | null;
  readonly client_certificate?: { readonly id: string } | null;
}

/** An https service to `port` on `host` with the TLS fields given (the others at their defaults). */
function httpsService(port: number, fields: TlsFields & { host?: string } = {}): Service {
  const { host = 'localhost', ...tls } = fields;
  return make.service({ name: 'tls-svc', protocol: 'https', host, port, ...(tls as Partial<Service>) });
}

/** Starts an upstream with `options`, proxies one GET to it through a service with `fields`, and closes both. */
async function callThrough(
  options: ServerOptions,
  fields: TlsFields & { host?: string } = {},
  extra: Partial<RuntimeSnapshot> = {},
): Promise<{ res: TestResponse; upstream: TlsUpstream }> {
  const upstream = await startTlsUpstream(options);
  try {
    const service = httpsService(upstream.port, fields);
    const proxy = await startProxy(snapshotOf(service, extra), {}, undefined, log.logger);
    try {
      const res = await send(proxy.port, '/');
      seen.push(res.text);
      return { res, upstream };
    } finally {
      await proxy.close();
    }
  } finally {
    await upstream.close();
  }
}

function snapshotOf(service: Service, extra: Partial<RuntimeSnapshot> = {}, preserveHost = false): RuntimeSnapshot {
  return {
    services: [service],
    routes: [make.route({ name: 'all', paths: ['/'], service: { id: service.id }, preserve_host: preserveHost })],
    consumers: [],
    plugins: [],
    ...extra,
  };
}

function assertRefused(res: TestResponse, code: string, message: string): void {
  assert.equal(res.status, 502, `${message}: ${res.text}`);
  assert.equal(res.json().code, code, message);
  assert.ok(res.headers['x-request-id'], 'the error carries the request id');
}

describe('upstream TLS through the proxy', () => {
  let ca: TestCa;
  let other: TestCa;
  let leaf: TestCertificate;
  const caOf = (cert: string, id = 'ca-1') => ({ caCertificates: [{ id, cert }] });

  before(async () => {
    ca = await createTestCa({ name: 'upstream CA' });
    other = await createTestCa({ name: 'another CA' });
    leaf = await ca.issue({ names: ['localhost', '127.0.0.1'] });
  });

  after(() => {
    // The upstreams' and the client certificates' keys were all in play: none may show anywhere.
    const text = seen.join('\n') + log.lines.join('\n');
    for (const key of allKeys) for (const line of pemLines(key)) assert.ok(!text.includes(line), 'a private key line appears in a response or a log line');
  });
  const allKeys: string[] = [];
  const keep = <T extends TestCertificate>(c: T): T => (allKeys.push(c.key), c);

  describe('502 PC_PROXY_UPSTREAM_TLS_UNTRUSTED', () => {
    const cases: { name: string; make(): Promise<{ options: ServerOptions; fields: TlsFields; extra?: Partial<RuntimeSnapshot> }> }[] = [
      {
        name: 'a leaf of a CA the node does not trust (verification on by default)',
        make: async () => ({ options: { cert: leaf.cert, key: keep(leaf).key }, fields: {} }),
      },
      {
        name: 'a self-signed leaf',
        make: async () => {
          const self = keep(await createSelfSignedTestCertificate({ names: ['localhost'] }));
          return { options: { cert: self.cert, key: self.key }, fields: {} };
        },
      },
      {
        name: 'a leaf of another CA than the one the service lists',
        make: async () => ({ options: { cert: leaf.cert, key: leaf.key }, fields: { ca_certificates: ['ca-1'] }, extra: caOf(other.cert) }),
      },
      {
        name: 'a chain ending in an untrusted root the upstream sends itself',
        make: async () => ({ options: { cert: leaf.cert + ca.cert, key: leaf.key }, fields: {} }),
      },
      { name: 'tls_verify null (the default) on https', make: async () => ({ options: { cert: leaf.cert, key: leaf.key }, fields: { tls_verify: null } }) },
    ];
    for (const c of cases) {
      it(`refuses ${c.name}`, async () => {
        const { options, fields, extra } = await c.make();
        const { res } = await callThrough(options, fields, extra);
        assertRefused(res, 'PC_PROXY_UPSTREAM_TLS_UNTRUSTED', c.name);
      });
    }

    it('connects to the same upstream once the service lists its CA', async () => {
      const { res } = await callThrough({ cert: leaf.cert, key: leaf.key }, { ca_certificates: ['ca-1'] }, caOf(ca.cert));
      assert.equal(res.status, 200, res.text);
    });

    it('trusts the listed CA besides the system store, not instead of a second listed one', async () => {
      const extra = {
        caCertificates: [
          { id: 'other', cert: other.cert },
          { id: 'mine', cert: ca.cert },
        ],
      };
      const { res } = await callThrough({ cert: leaf.cert, key: leaf.key }, { ca_certificates: ['other', 'mine'] }, extra);
      assert.equal(res.status, 200, res.text);
    });
  });

  describe('502 PC_PROXY_UPSTREAM_TLS_HOSTNAME', () => {
    const cases = [
      { name: 'a certificate for another name', names: ['other.test'], host: 'localhost' },
      { name: 'a certificate without the IP the service names', names: ['localhost'], host: '127.0.0.1' },
      { name: 'a wildcard that does not cover the host', names: ['*.localhost'], host: 'localhost' },
    ];
    for (const c of cases) {
      it(`refuses ${c.name}`, async () => {
        const cert = keep(await ca.issue({ names: c.names }));
        const { res } = await callThrough({ cert: cert.cert, key: cert.key }, { host: c.host, ca_certificates: ['ca-1'] }, caOf(ca.cert));
        assertRefused(res, 'PC_PROXY_UPSTREAM_TLS_HOSTNAME', c.name);
      });
    }
  });

  describe('502 PC_PROXY_UPSTREAM_TLS_EXPIRED', () => {
    const cases = [
      { name: 'an expired certificate', notBefore: Date.now() - 30 * DAY, notAfter: Date.now() - DAY },
      { name: 'a certificate not valid yet', notBefore: Date.now() + DAY, notAfter: Date.now() + 30 * DAY },
    ];
    for (const c of cases) {
      it(`refuses ${c.name}`, async () => {
        const cert = keep(await ca.issue({ names: ['localhost'], notBefore: c.notBefore, notAfter: c.notAfter }));
        const { res } = await callThrough({ cert: cert.cert, key: cert.key }, { ca_certificates: ['ca-1'] }, caOf(ca.cert));
        assertRefused(res, 'PC_PROXY_UPSTREAM_TLS_EXPIRED', c.name);
      });
    }
  });

  describe('200 with tls_verify: false', () => {
    const cases = [
      { name: 'a self-signed certificate', make: () => createSelfSignedTestCertificate({ names: ['localhost'] }) },
      { name: 'a certificate for another name', make: () => ca.issue({ names: ['other.test'] }) },
      { name: 'an expired certificate', make: () => ca.issue({ names: ['localhost'], notBefore: Date.now() - 30 * DAY, notAfter: Date.now() - DAY }) },
    ];
    for (const c of cases) {
      it(`connects to an upstream with ${c.name}`, async () => {
        const cert = keep(await c.make());
        const { res } = await callThrough({ cert: cert.cert, key: cert.key }, { tls_verify: false });
        assert.equal(res.status, 200, res.text);
      });
    }
  });

  describe('tls_verify_depth', () => {
    /** A chain root → n intermediates → leaf; the upstream sends the leaf and the intermediates. */
    async function chainOf(intermediates: number): Promise<ServerOptions> {
      let issuer = ca;
      const sent: string[] = [];
      for (let i = 0; i < intermediates; i++) {
        issuer = await issuer.issueCa({ name: `intermediate ${i}` });
        sent.unshift(issuer.cert);
      }
      const cert = keep(await issuer.issue({ names: ['localhost'] }));
      return { cert: cert.cert + sent.join(''), key: cert.key };
    }
    const cases = [
      { intermediates: 0, depth: 0, ok: true },
      { intermediates: 1, depth: 0, ok: false },
      { intermediates: 1, depth: 1, ok: true },
      { intermediates: 2, depth: 1, ok: false },
      { intermediates: 2, depth: 2, ok: true },
      { intermediates: 2, depth: null, ok: true },
    ];
    for (const c of cases) {
      it(`${c.ok ? 'accepts' : 'refuses (untrusted)'} ${c.intermediates} intermediate(s) with depth ${c.depth}`, async () => {
        const { res } = await callThrough(await chainOf(c.intermediates), { ca_certificates: ['ca-1'], tls_verify_depth: c.depth }, caOf(ca.cert));
        if (c.ok) assert.equal(res.status, 200, res.text);
        else assertRefused(res, 'PC_PROXY_UPSTREAM_TLS_UNTRUSTED', `depth ${c.depth}`);
      });
    }

    it('is not enforced with tls_verify: false', async () => {
      const { res } = await callThrough(await chainOf(2), { tls_verify: false, tls_verify_depth: 0 });
      assert.equal(res.status, 200, res.text);
    });
  });

  describe('mTLS: client_certificate', () => {
    let client: TestCertificate;
    const mtls = (extra: ServerOptions = {}): ServerOptions => ({
      cert: leaf.cert,
      key: leaf.key,
      ca: [ca.cert],
      requestCert: true,
      rejectUnauthorized: true,
      ...extra,
    });
    const clientOf = (cert: TestCertificate) => ({ ...caOf(ca.cert), clientCertificates: [{ id: 'client-1', cert: cert.cert, key: cert.key }] });

    before(async () => {
      client = keep(await ca.issue({ names: ['portcullis-client'], client: true }));
    });

    for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
      it(`an upstream requiring a client certificate refuses a service without one (${version}): 502 PC_PROXY_UPSTREAM_TLS_HANDSHAKE`, async () => {
        const { res } = await callThrough(mtls({ maxVersion: version }), { ca_certificates: ['ca-1'] }, caOf(ca.cert));
        assertRefused(res, 'PC_PROXY_UPSTREAM_TLS_HANDSHAKE', version);
      });

      it(`presents client_certificate and is accepted (${version})`, async () => {
        const { res } = await callThrough(
          mtls({ maxVersion: version }),
          { ca_certificates: ['ca-1'], client_certificate: { id: 'client-1' } },
          clientOf(client),
        );
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json<TlsEcho>().client, 'portcullis-client');
      });
    }

    it('sends a client certificate chain (leaf and intermediate) the upstream verifies to its root', async () => {
      const intermediate = await ca.issueCa({ name: 'client intermediate' });
      const chained = keep(await intermediate.issue({ names: ['chained-client'], client: true }));
      const withChain = { ...chained, cert: chained.cert + intermediate.cert };
      const { res } = await callThrough(mtls(), { ca_certificates: ['ca-1'], client_certificate: { id: 'client-1' } }, clientOf(withChain));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json<TlsEcho>().client, 'chained-client');
    });
  });

  describe('502 PC_PROXY_UPSTREAM_TLS_HANDSHAKE', () => {
    it('refuses an upstream that speaks only TLS 1.0/1.1 (the node requires 1.2+)', async () => {
      const { res } = await callThrough(
        { cert: leaf.cert, key: leaf.key, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' },
        { tls_verify: false },
      );
      assertRefused(res, 'PC_PROXY_UPSTREAM_TLS_HANDSHAKE', 'TLS 1.1 only');
    });

    it('refuses an upstream that answers plain HTTP on the https port', async () => {
      const plain = await startUpstream((_req, res) => res.end('plain'));
      try {
        const proxy = await startProxy(snapshotOf(httpsService(plain.port, { tls_verify: false })), {}, undefined, log.logger);
        try {
          const res = await send(proxy.port, '/');
          assertRefused(res, 'PC_PROXY_UPSTREAM_TLS_HANDSHAKE', 'plain HTTP');
        } finally {
          await proxy.close();
        }
      } finally {
        await plain.close();
      }
    });

    describe('an OpenSSL upstream requiring a client certificate of its CA', () => {
      let dir: string;
      let server: ChildProcess;
      let port: number;
      before(async () => {
        // openssl s_server answers a refused client certificate with an alert, as nginx does
        // (a Node upstream closes without one: it then reads as PC_PROXY_UPSTREAM_UNAVAILABLE).
        dir = mkdtempSync(join(tmpdir(), 'portcullis-upstream-tls-'));
        writeFileSync(join(dir, 'leaf.pem'), leaf.cert);
        writeFileSync(join(dir, 'leaf.key'), leaf.key, { mode: 0o600 });
        writeFileSync(join(dir, 'ca.pem'), ca.cert);
        server = spawn(
          'openssl',
          ['s_server', '-accept', '127.0.0.1:0', '-cert', 'leaf.pem', '-key', 'leaf.key', '-CAfile', 'ca.pem', '-Verify', '2', '-verify_return_error', '-www'],
          {
            cwd: dir,
            stdio: ['ignore', 'pipe', 'ignore'],
          },
        );
        port = await new Promise<number>((resolve, reject) => {
          let out = '';
          server.stdout!.on('data', (chunk: Buffer) => {
            out += String(chunk);
            const found = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(out);
            if (found) resolve(Number(found[1]));
          });
          server.once('exit', (code) => reject(new Error(`openssl s_server exited (${code})`)));
        });
      });
      after(() => {
        server.kill();
        rmSync(dir, { recursive: true, force: true });
      });

      const through = async (client: TestCertificate) => {
        const service = httpsService(port, { ca_certificates: ['ca-1'], client_certificate: { id: 'c' } });
        const extra = { ...caOf(ca.cert), clientCertificates: [{ id: 'c', cert: client.cert, key: client.key }] };
        const proxy = await startProxy(snapshotOf(service, extra), {}, undefined, log.logger);
        try {
          const res = await send(proxy.port, '/');
          seen.push(res.text);
          return res;
        } finally {
          await proxy.close();
        }
      };

      it('refuses a client certificate of another CA with the handshake code', async () => {
        const res = await through(keep(await other.issue({ names: ['stranger'], client: true })));
        assertRefused(res, 'PC_PROXY_UPSTREAM_TLS_HANDSHAKE', 'client certificate of another CA');
      });

      it('accepts a client certificate of its CA', async () => {
        const res = await through(keep(await ca.issue({ names: ['member'], client: true })));
        assert.equal(res.status, 200, res.text);
      });
    });
  });

  describe('SNI', () => {
    it('sends the service host, whatever Host the client sent with preserve_host', async () => {
      const upstream = await startTlsUpstream({ cert: leaf.cert, key: leaf.key });
      const service = httpsService(upstream.port, { ca_certificates: ['ca-1'] });
      const proxy = await startProxy(snapshotOf(service, caOf(ca.cert), true), {}, undefined, log.logger);
      try {
        for (const host of ['client-chosen.test', 'localhost', 'another.test']) {
          const res = await send(proxy.port, '/', { headers: { host } });
          seen.push(res.text);
          assert.equal(res.status, 200, res.text);
          assert.deepEqual(res.json<TlsEcho>(), { servername: 'localhost', client: null, host });
        }
        assert.equal(upstream.accepted, 1, 'one keep-alive connection serves every Host: a changed Host does not drop it');
      } finally {
        await proxy.close();
        await upstream.close();
      }
    });

    it('sends none to an upstream named by an IP address, and verifies the IP', async () => {
      const { res } = await callThrough({ cert: leaf.cert, key: leaf.key }, { host: '127.0.0.1', ca_certificates: ['ca-1'] }, caOf(ca.cert));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json<TlsEcho>().servername, false);
    });
  });

  describe('502 PC_PROXY_UPSTREAM_TLS_CONFIG: certificates that cannot be loaded', () => {
    const cases: { name: string; fields: TlsFields; extra: () => Partial<RuntimeSnapshot> }[] = [
      { name: 'a CA certificate id that does not exist', fields: { ca_certificates: ['missing'] }, extra: () => ({}) },
      {
        name: 'a CA certificate whose PEM could not be loaded',
        fields: { ca_certificates: ['ca-1'] },
        extra: () => ({ caCertificates: [{ id: 'ca-1', cert: null }] }),
      },
      { name: 'a CA certificate that is not a CA', fields: { ca_certificates: ['ca-1'] }, extra: () => caOf(leaf.cert) },
      { name: 'a second CA that is missing (the first is fine)', fields: { ca_certificates: ['ca-1', 'gone'] }, extra: () => caOf(ca.cert) },
      { name: 'a client certificate id that does not exist', fields: { client_certificate: { id: 'missing' } }, extra: () => ({}) },
      {
        name: 'a client certificate whose key could not be loaded',
        fields: { client_certificate: { id: 'c' } },
        extra: () => ({ clientCertificates: [{ id: 'c', cert: leaf.cert, key: null }] }),
      },
      {
        name: 'a client certificate whose key does not match',
        fields: { client_certificate: { id: 'c' } },
        extra: () => ({ clientCertificates: [{ id: 'c', cert: leaf.cert, key: other.key }] }),
      },
      {
        name: 'a client certificate that is not PEM',
        fields: { client_certificate: { id: 'c' } },
        extra: () => ({ clientCertificates: [{ id: 'c', cert: 'not a certificate', key: leaf.key }] }),
      },
    ];
    for (const c of cases) {
      it(`refuses without connecting: ${c.name}`, async () => {
        allKeys.push(other.key);
        const { res, upstream } = await callThrough({ cert: leaf.cert, key: leaf.key }, { tls_verify: false, ...c.fields }, c.extra());
        assertRefused(res, 'PC_PROXY_UPSTREAM_TLS_CONFIG', c.name);
        assert.equal(upstream.accepted, 0, 'no connection was made with fewer settings than configured');
      });
    }

    it('logs the service and the certificate id once per build, then each refused request', async () => {
      const before = log.lines.length;
      const { res } = await callThrough({ cert: leaf.cert, key: leaf.key }, { client_certificate: { id: 'absent-cert' } });
      assertRefused(res, 'PC_PROXY_UPSTREAM_TLS_CONFIG', 'absent');
      const lines = log.lines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
      const build = lines.filter((l) => l['id'] === 'absent-cert');
      assert.equal(build.length, 1);
      assert.deepEqual([build[0]!['level'], build[0]!['service'], build[0]!['field'], build[0]!['reason']], [40, 'tls-svc', 'client_certificate', 'missing']);
      const request = lines.filter((l) => l['msg'] === 'upstream request refused');
      assert.deepEqual(
        request.map((l) => [l['level'], l['service'], l['kind'], l['code']]),
        [[40, 'tls-svc', 'tls', 'PC_PROXY_UPSTREAM_TLS_CONFIG']],
      );
    });
  });

  it('counts TLS failures as kind "tls", logs their class and service, and does not retry them', async () => {
    const upstream = await startTlsUpstream({ cert: leaf.cert, key: leaf.key });
    const service = httpsService(upstream.port);
    const proxy = await startProxy(snapshotOf(service), {}, undefined, log.logger);
    try {
      const before = log.lines.length;
      const res = await send(proxy.port, '/');
      seen.push(res.text);
      assertRefused(res, 'PC_PROXY_UPSTREAM_TLS_UNTRUSTED', 'untrusted');
      assert.match(await proxy.metrics.registry.metrics(), /portcullis_upstream_errors_total\{route="all",service="tls-svc",kind="tls"\} 1\n/);
      const line = JSON.parse(log.lines.slice(before).find((l) => l.includes('upstream request failed'))!) as Record<string, any>;
      assert.deepEqual(
        [line['level'], line['service'], line['kind'], line['code'], line['err'].code],
        [40, 'tls-svc', 'tls', 'PC_PROXY_UPSTREAM_TLS_UNTRUSTED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
      );
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});
