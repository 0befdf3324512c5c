/**
 * The `gcp` vault's config: which project (and region) to read secrets from, and which credentials
 * to read them with. Key names follow Kong's gcp vault (`project_id`); the rest are ours.
 */
import Type, { type Static } from 'typebox';

export const GcpBackendConfig = Type.Object(
  {
    project_id: Type.String({
      // Project ids are 6–30 chars of [a-z0-9-] starting with a letter, optionally domain-scoped
      // (`example.com:my-project`); a project number works as well.
      pattern: '^(?:(?:[a-z0-9.-]{1,63}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,20})$',
      maxLength: 100,
      description: 'The Google Cloud project that holds the secrets (its id, e.g. `my-project`, or its number).',
    }),
    location: Type.Optional(
      Type.String({
        pattern: '^[a-z][a-z0-9-]{1,62}$',
        maxLength: 63,
        description:
          'Read regional secrets of this location (e.g. `europe-west1`) through its regional endpoint `secretmanager.<location>.rep.googleapis.com`. Without it, global secrets are read.',
      }),
    ),
    service_account_key: Type.Optional(
      Type.String({
        minLength: 2,
        maxLength: 16384,
        encrypted: true,
        referenceable: true,
        description:
          'The JSON text of a service-account key (IAM → Service accounts → Keys → JSON, `"type": "service_account"`). Without it, application default credentials are used: the file named by GOOGLE_APPLICATION_CREDENTIALS, gcloud\'s application-default login, or the metadata server of GCE, GKE (workload identity), Cloud Run and Cloud Functions.',
      }),
    ),
    api_endpoint: Type.Optional(
      Type.String({
        // A DNS name or IPv4 address, and a port from 1 to 65535.
        pattern:
          '^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?$',
        maxLength: 259,
        description:
          'Host (and port) of the Secret Manager API, for a Private Service Connect endpoint (`secretmanager-myendpoint.p.googleapis.com`). Spoken to over HTTPS only. Default `secretmanager.googleapis.com`, or the regional endpoint when `location` is set.',
      }),
    ),
  },
  { additionalProperties: false },
);

export type GcpBackendConfig = Static<typeof GcpBackendConfig>;
