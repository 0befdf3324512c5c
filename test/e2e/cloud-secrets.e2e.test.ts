/**
 * The cloud and Conjur vault backends through the real, bundled CLI: their official SDKs are
 * loaded lazily, and only when a vault of that backend is used, from a bundle that keeps them
 * external (scripts/bundle.mjs). In-process tests cannot see a bundling mistake there (a module
 * left out, a lazy import that resolves in `src/` but not in `dist-bundle/`); these do. Each
 * backend is pointed at its wire-faithful fake, configured in the config file as a user would:
 * `vault get --show` resolves a reference of each, and a running node sends each one's secret
 * upstream through `upstream-auth`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { admin, runCli, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { startEchoUpstream, type Echo, type EchoUpstream } from './support/upstream.js';
import { startSecretsManagerFake, type SecretsManagerFake } from '../fakes/aws-secrets-manager.js';
import { createServiceAccountKey, startGcpSecretManagerFake, type GcpSecretManagerFake } from '../fakes/gcp-secret-manager.js';
import { startAzureIdentityFake, type AzureIdentityFake } from '../fakes/azure-identity.js';
import { startAzureKeyVaultFake, type AzureKeyVaultFake } from '../fakes/azure-keyvault.js';
import { startConjurFake, type ConjurFake } from '../fakes/conjur.js';
import { LOCALHOST_TLS } from '../support/tls-fixtures.js';

/** One value per backend, each different, so a mix-up between vaults shows. */
const VALUES = {
  aw: `aws-value-${randomBytes(6).toString('hex')}`,
  gc: `gcp-value-${randomBytes(6).toString('hex')}`,
  az: `azure-value-${randomBytes(6).toString('hex')}`,
  cj: `conjur-value-${randomBytes(6).toString('hex')}`,
} as const;
type Prefix = keyof typeof VALUES;
const REFERENCES: Record<Prefix, string> = {
  aw: '{vault://aw/portcullis-e2e}',
  gc: '{vault://gc/portcullis-e2e}',
  az: '{vault://az/portcullis-e2e}',
  cj: '{vault://cj/e2e%2Fupstream-token}',
};

describe('cloud vault backends through the bundled CLI', () => {
  let aws: SecretsManagerFake;
  let gcp: GcpSecretManagerFake;
  let identity: AzureIdentityFake;
  let keyVault: AzureKeyVaultFake;
  let conjur: ConjurFake;
  let upstream: EchoUpstream;
  let node: CliNode;
  let configFile: string;
  let awsDir: string;
  /** The environment of every CLI run: AWS credentials from a profile of our own, no Azure variables from the host. */
  let env: Record<string, string>;

  before(async () => {
    const awsKeys = { accessKeyId: 'AKIAE2ECLOUDSECRETS1', secretAccessKey: randomBytes(30).toString('base64') };
    aws = await startSecretsManagerFake({ region: 'eu-west-3', credentials: [awsKeys] });
    aws.putSecretValue('portcullis-e2e', VALUES.aw);
    awsDir = mkdtempSync(join(tmpdir(), 'portcullis-e2e-aws-'));
    writeFileSync(join(awsDir, 'credentials'), `[e2e]\naws_access_key_id = ${awsKeys.accessKeyId}\naws_secret_access_key = ${awsKeys.secretAccessKey}\n`);
    writeFileSync(join(awsDir, 'config'), '');

    const projectId = 'portcullis-e2e';
    const serviceAccount = createServiceAccountKey(projectId, 'portcullis-e2e-reader');
    gcp = await startGcpSecretManagerFake({ projectId, serviceAccounts: [serviceAccount] });
    gcp.addVersion('portcullis-e2e', VALUES.gc);

    const tenantId = randomUUID();
    const clientId = randomUUID();
    const clientSecret = `e2e-client-secret-${randomBytes(12).toString('base64url')}`;
    identity = await startAzureIdentityFake({ apps: [{ tenantId, clientId, clientSecret }] });
    keyVault = await startAzureKeyVaultFake({ tenantId, identity });
    keyVault.setSecret('portcullis-e2e', VALUES.az);

    conjur = await startConjurFake({ tls: LOCALHOST_TLS });
    const conjurKey = randomBytes(24).toString('hex');
    conjur.addRole('host/e2e/portcullis', conjurKey);
    conjur.addSecret('e2e/upstream-token', VALUES.cj);

    upstream = await startEchoUpstream();
    const vaults = [
      { prefix: 'aw', name: 'aws', config: { region: 'eu-west-3', endpoint_url: aws.url } },
      { prefix: 'gc', name: 'gcp', config: { project_id: projectId, service_account_key: serviceAccount.json, api_endpoint: gcp.endpoint } },
      {
        prefix: 'az',
        name: 'azure',
        config: {
          vault_uri: keyVault.url,
          auth_method: 'client_secret',
          tenant_id: tenantId,
          client_id: clientId,
          client_secret: clientSecret,
          authority_host: identity.url,
          disable_challenge_resource_verification: true,
        },
      },
      {
        prefix: 'cj',
        name: 'conjur',
        config: { endpoint_url: conjur.url, auth_method: 'api_key', account: conjur.account, login: 'host/e2e/portcullis', api_key: conjurKey },
      },
    ];
    configFile = writeConfig({ vaults });
    env = {};
    for (const name of Object.keys(process.env)) if (/^(AZURE_|IDENTITY_|MSI_|AWS_|GOOGLE_)/.test(name) || name === 'IMDS_ENDPOINT') env[name] = '';
    Object.assign(env, { AWS_PROFILE: 'e2e', AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials'), AWS_CONFIG_FILE: join(awsDir, 'config') });
    // `vault get` reads the node's database (its vaults and keyring): a node has started on it.
    node = await startCliNode(configFile, env);
  });

  after(async () => {
    await node?.stop();
    for (const fake of [aws, gcp, keyVault, identity, conjur, upstream]) await fake?.close();
    rmSync(awsDir, { recursive: true, force: true });
  });

  for (const prefix of Object.keys(VALUES) as Prefix[]) {
    it(`vault get --show resolves ${REFERENCES[prefix]} through its SDK`, async () => {
      const res = await runCli(['vault', 'get', REFERENCES[prefix], '--show', '--config', configFile], env);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, `${VALUES[prefix]}\n`);
    });
  }

  it('a running node resolves a plugin field of each backend and sends the value upstream, never in a listing', async () => {
    assert.equal((await admin(node, 'POST', '/services', { name: 'echo', url: upstream.url })).status, 201);
    for (const prefix of Object.keys(VALUES) as Prefix[]) {
      assert.equal((await admin(node, 'POST', '/services/echo/routes', { name: prefix, paths: [`/${prefix}`] })).status, 201);
      const plugin = await admin(node, 'POST', `/routes/${prefix}/plugins`, {
        name: 'upstream-auth',
        config: { type: 'header', header_name: 'x-upstream-token', header_value: REFERENCES[prefix] },
      });
      assert.equal(plugin.status, 201, JSON.stringify(plugin.body));
      assert.equal(plugin.body.config.header_value, REFERENCES[prefix], 'the Admin API shows the reference, not the value');
    }
    for (const prefix of Object.keys(VALUES) as Prefix[]) {
      const res = await fetch(`${node.proxyUrl}/${prefix}`);
      assert.equal(res.status, 200, prefix);
      const echoed = (await res.json()) as Echo;
      assert.equal(echoed.headers['x-upstream-token'], VALUES[prefix], prefix);
    }
    const listing = JSON.stringify((await admin(node, 'GET', '/plugins')).body);
    for (const value of Object.values(VALUES)) assert.ok(!listing.includes(value), 'a secret value in the plugin listing');
  });
});
