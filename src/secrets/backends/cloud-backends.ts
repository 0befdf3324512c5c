/**
 * The cloud vault backends as the registry lists them: each imports its implementation and its
 * vendor's SDK on first use (lazy-backend.ts), so a node without such a vault never loads them.
 * The descriptors repeat what the implementations declare; cloud-backends.test.ts checks they agree.
 */
import { lazyBackend } from '../lazy-backend.js';
import { AwsBackendConfig } from './aws/aws-backend-config.js';
import { GcpBackendConfig } from './gcp/gcp-backend-config.js';
import { AzureBackendConfig } from './azure/azure-config.js';

export const lazyAwsBackend = lazyBackend<AwsBackendConfig>(
  {
    name: 'aws',
    description: 'AWS Secrets Manager, with the credentials of the AWS SDK default chain, optionally through an assumed IAM role.',
    configSchema: AwsBackendConfig,
    supportsVersions: true,
    referenceOptions: [],
  },
  async () => (await import('./aws/index.js')).awsBackend,
);

export const lazyGcpBackend = lazyBackend<GcpBackendConfig>(
  {
    name: 'gcp',
    description: 'Google Cloud Secret Manager, through the official client, with a service-account key or application default credentials.',
    configSchema: GcpBackendConfig,
    supportsVersions: true,
    referenceOptions: [],
  },
  async () => (await import('./gcp/index.js')).gcpBackend,
);

export const lazyAzureBackend = lazyBackend<AzureBackendConfig>(
  {
    name: 'azure',
    description: 'Azure Key Vault secrets, read with the official client (client credentials or managed identity).',
    configSchema: AzureBackendConfig,
    supportsVersions: true,
    referenceOptions: [],
  },
  async () => (await import('./azure/index.js')).azureBackend,
);
