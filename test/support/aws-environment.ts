/**
 * Seals a test process's environment for the AWS SDK, whose credential chain, region and endpoint
 * lookups read `process.env` and the home directory themselves: every inherited `AWS_*` variable is
 * removed, HOME and the shared config and credentials files point into a fresh temporary folder,
 * and instance metadata is off (IMDS tests turn it back on). Node runs each test file in its own
 * process, so what a file sets here stays in that file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SealedAwsEnvironment {
  /** The temporary HOME, holding `config` and `credentials` (empty until a test writes them). */
  readonly home: string;
  readonly configFile: string;
  readonly credentialsFile: string;
  /** Puts back the environment the process had and removes the folder. */
  restore(): void;
}

export function sealAwsEnvironment(variables: Readonly<Record<string, string>> = {}): SealedAwsEnvironment {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
  const home = mkdtempSync(join(tmpdir(), 'portcullis-aws-'));
  const configFile = join(home, 'config');
  const credentialsFile = join(home, 'credentials');
  writeFileSync(configFile, '');
  writeFileSync(credentialsFile, '');
  Object.assign(process.env, {
    HOME: home,
    USERPROFILE: home,
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_EC2_METADATA_V1_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...variables,
  });
  return {
    home,
    configFile,
    credentialsFile,
    restore() {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
