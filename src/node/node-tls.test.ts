/**
 * A node's HTTPS proxy listener as the composition root wires it: the default certificate made at
 * the first start in the data folder and served again after a restart, the TLS address reported,
 * a broken pair refused at start, and `proxy_listen_tls: off` leaving no listener and no files.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { pino } from 'pino';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import { startNode } from './node.js';
import { createTestDatabase } from '../../test/support/databases.js';
import { createSelfSignedTestCertificate } from '../../test/support/certificates.js';

const silent = pino({ level: 'silent' });

function configOf(database: { config: object }, overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ env: {} }),
    ...database.config,
    proxy_listen: '127.0.0.1:0',
    proxy_listen_tls: '127.0.0.1:0',
    admin_listen: '127.0.0.1:0',
    ...overrides,
  } as Config;
}

/** The SHA-256 fingerprint of the certificate served on `port` without SNI. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('a node’s HTTPS proxy listener', () => {
  it('generates the default certificate at the first start, serves it, and serves the same one after a restart', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const config = configOf(database);
      const folder = dirname(config.sqlite_path);
      const first = await startNode({ config, logger: silent });
      let fingerprint: string;
      try {
        assert.ok(first.proxyTlsAddress !== null);
        assert.notEqual(first.proxyTlsAddress.port, first.proxyAddress.port);
        assert.equal(statSync(join(folder, 'tls-default.key')).mode & 0o777, 0o600);
        fingerprint = await servedFingerprint(first.proxyTlsAddress.port);
        const onDisk = new X509Certificate(readFileSync(join(folder, 'tls-default.crt')));
        assert.equal(fingerprint, onDisk.fingerprint256);
      } finally {
        await first.close();
      }
      const second = await startNode({ config, logger: silent });
      try {
        assert.equal(await servedFingerprint(second.proxyTlsAddress!.port), fingerprint);
      } finally {
        await second.close();
      }
    } finally {
      await database.drop();
    }
  });

  it('refuses to start when the default pair in the data folder is broken, and opens nothing', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const config = configOf(database);
      const folder = dirname(config.sqlite_path);
      const node = await startNode({ config, logger: silent });
      await node.close();
      writeFileSync(join(folder, 'tls-default.key'), (await createSelfSignedTestCertificate({ names: ['other.test'] })).key);
      await assert.rejects(startNode({ config, logger: silent }), /tls_default_cert: .*does not belong to the certificate/);
    } finally {
      await database.drop();
    }
  });

  it('has no HTTPS listener and writes no certificate with proxy_listen_tls off', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const config = configOf(database, { proxy_listen_tls: 'off' });
      const node = await startNode({ config, logger: silent });
      try {
        assert.equal(node.proxyTlsAddress, null);
        assert.equal(existsSync(join(dirname(config.sqlite_path), 'tls-default.crt')), false);
      } finally {
        await node.close();
      }
    } finally {
      await database.drop();
    }
  });
});
