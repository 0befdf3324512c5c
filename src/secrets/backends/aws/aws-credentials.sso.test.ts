/**
 * IAM Identity Center (SSO): a profile's cached SSO access token (as `aws sso login` leaves it in
 * `~/.aws/sso/cache/`) exchanged at the portal (`AWS_ENDPOINT_URL_SSO`) for role credentials, in
 * both profile layouts: the legacy one (`sso_start_url` in the profile, cache named after the URL)
 * and `sso_session` (cache named after the session).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { readOnce } from './testing/silent-backend.js';
import { VaultBackendError } from '../../vault-backend.js';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../../test/fakes/aws-secrets-manager.js';
import { startAwsCredentialsFake, type AwsCredentialsFake } from '../../../../test/fakes/aws-credentials.js';
import { sealAwsEnvironment, type SealedAwsEnvironment } from '../../../../test/support/aws-environment.js';

const START_URL = 'https://portcullis-test.awsapps.com/start';
const ACCESS_TOKEN = 'aoaAAAAAGd-sso-access-token-for-tests';
const ACCOUNT = '111122223333';

describe('aws credentials: SSO cached token', () => {
  let sealed: SealedAwsEnvironment;
  let sm: SecretsManagerFake;
  let portal: AwsCredentialsFake;
  const cache = (key: string, token: Record<string, string>) => {
    const dir = join(sealed.home, '.aws', 'sso', 'cache');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${createHash('sha1').update(key).digest('hex')}.json`), JSON.stringify(token));
  };
  const inOneHour = () => new Date(Date.now() + 3600_000).toISOString();
  const read = async (profile: string) => {
    process.env['AWS_PROFILE'] = profile;
    return readOnce({ region: 'us-east-1', endpoint_url: sm.url }, 'sso/secret');
  };

  before(async () => {
    sealed = sealAwsEnvironment();
    sm = await startSecretsManagerFake();
    portal = await startAwsCredentialsFake({ sso: { accessToken: ACCESS_TOKEN, accountId: ACCOUNT, roleName: 'SecretsReader' }, onIssue: sm.trust });
    process.env['AWS_ENDPOINT_URL_SSO'] = portal.url;
    const legacy = (name: string, startUrl: string) =>
      `[profile ${name}]\nsso_start_url = ${startUrl}\nsso_region = us-east-1\nsso_account_id = ${ACCOUNT}\nsso_role_name = SecretsReader\n`;
    writeFileSync(
      sealed.configFile,
      [
        legacy('legacy', START_URL),
        legacy('expired', 'https://expired.awsapps.com/start'),
        legacy('revoked', 'https://revoked.awsapps.com/start'),
        `[profile modern]\nsso_session = corp\nsso_account_id = ${ACCOUNT}\nsso_role_name = SecretsReader\n`,
        `[sso-session corp]\nsso_start_url = ${START_URL}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n`,
      ].join('\n'),
    );
    cache(START_URL, { startUrl: START_URL, region: 'us-east-1', accessToken: ACCESS_TOKEN, expiresAt: inOneHour() });
    cache('corp', { startUrl: START_URL, region: 'us-east-1', accessToken: ACCESS_TOKEN, expiresAt: inOneHour() });
    cache('https://expired.awsapps.com/start', {
      startUrl: 'https://expired.awsapps.com/start',
      region: 'us-east-1',
      accessToken: ACCESS_TOKEN,
      expiresAt: new Date(Date.now() - 60_000).toISOString(),
    });
    cache('https://revoked.awsapps.com/start', {
      startUrl: 'https://revoked.awsapps.com/start',
      region: 'us-east-1',
      accessToken: 'aoa-revoked-token',
      expiresAt: inOneHour(),
    });
    sm.putSecretValue('sso/secret', 'from-sso');
  });
  after(async () => {
    await sm.close();
    await portal.close();
    sealed.restore();
  });

  it('exchanges the cached token of a legacy or an sso_session profile for the role’s credentials', async () => {
    for (const profile of ['legacy', 'modern']) {
      assert.equal((await read(profile)).value, 'from-sso', profile);
      const call = portal.requests.at(-1)!;
      assert.equal(call.path, `/federation/credentials?account_id=${ACCOUNT}&role_name=SecretsReader`);
      assert.equal(call.headers['x-amz-sso_bearer_token'], ACCESS_TOKEN);
      const issued = portal.issued.at(-1)!;
      assert.equal(issued.source, 'sso');
      assert.equal(sm.requests.at(-1)!.accessKeyId, issued.credentials.accessKeyId);
    }
  });

  it('answers unauthorized for an expired or a refused SSO session, quoting no token', async () => {
    for (const [profile, expected] of [
      ['expired', /The SSO session associated with this profile has expired/],
      ['revoked', /UnauthorizedException/],
    ] as const) {
      await assert.rejects(read(profile), (err) => {
        assert.ok(err instanceof VaultBackendError);
        assert.equal(err.kind, 'unauthorized', err.message);
        assert.match(err.message, expected);
        assert.ok(!err.message.includes('aoa'), err.message);
        return true;
      });
    }
  });

  it('fails on a corrupted portal answer, quoting none of it', async () => {
    portal.garbage('sso');
    try {
      await assert.rejects(read('legacy'), (err) => err instanceof VaultBackendError && !err.message.includes('GARBAGE'));
    } finally {
      portal.garbage(null);
    }
  });
});
