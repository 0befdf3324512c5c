/**
 * One official Secret Manager client (`@google-cloud/secret-manager`) with its credentials, as a gcp
 * vault uses it. The client runs in REST mode (`fallback: true`: JSON over HTTP/1.1 through
 * google-auth-library's fetch) rather than gRPC, because
 * - AccessSecretVersion is a single small GET: gRPC's long-lived HTTP/2 channel, with its own
 *   reconnect backoff, buys nothing for a read made once per `ttl`;
 * - REST requests go through one HTTP transport we can reach (google-auth-library's gaxios), which
 *   lets a read be aborted by its signal and its answer be capped in size; gRPC gives neither
 *   without replacing the channel's credentials;
 * - the tests then exercise exactly the production path against a plain HTTPS fake, with the
 *   credentials checked on the fake's side (an insecure gRPC channel sends none).
 *
 * The client takes no signal and no size limit, so its transport gets two interceptors: requests
 * made while a read runs (found through AsyncLocalStorage, as concurrent reads share the client)
 * carry that read's signal, and Secret Manager's answers are read through node-fetch's `size` cap
 * (error answers included: they are handed to the client's own decoder instead of being slurped
 * by gaxios) while their status is noted for the error mapping.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { v1 } from '@google-cloud/secret-manager';
import type { ExchangeState } from './gcp-failure.js';
import type { AccessedVersion } from './secret-payload.js';
import type { ServiceAccountKey } from './service-account-key.js';

/** Secret Manager's payloads are at most 64 KiB (base64 in JSON: ~88 KiB); anything past 1 MiB is refused. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

export interface ConnectionSettings {
  /** Secret Manager's host and port (`secretmanager.googleapis.com`, 443). */
  readonly host: string;
  readonly port: number;
  readonly projectId: string;
  readonly universeDomain: string;
  /** The service-account key to sign requests with; null for application default credentials. */
  readonly key: ServiceAccountKey | null;
  /** The ADC credentials file (GOOGLE_APPLICATION_CREDENTIALS, from the node's environment). */
  readonly credentialsFile?: string;
}

/** How far one read's exchange with Secret Manager got; the interceptors fill it in. */
export interface Exchange extends ExchangeState {
  sent: boolean;
  status?: number;
}

interface Read {
  readonly signal: AbortSignal;
  readonly exchange: Exchange;
}

type Client = InstanceType<typeof v1.SecretManagerServiceClient>;

export class SecretManagerConnection {
  readonly #client: Client;
  readonly #reads = new AsyncLocalStorage<Read>();
  readonly #origin: string;
  #hooked: Promise<void> | null = null;

  constructor(settings: ConnectionSettings) {
    this.#origin = new URL(`https://${settings.host}:${settings.port}`).host;
    const credentials = settings.key ? { credentials: settings.key } : settings.credentialsFile ? { keyFilename: settings.credentialsFile } : {};
    this.#client = new v1.SecretManagerServiceClient({
      fallback: true,
      apiEndpoint: settings.host,
      port: settings.port,
      projectId: settings.projectId,
      // Passed explicitly so the client does not read GOOGLE_CLOUD_UNIVERSE_DOMAIN from process.env.
      universeDomain: settings.universeDomain,
      ...credentials,
    });
  }

  /**
   * Calls AccessSecretVersion for `name`, rejecting as the client does. `signal` aborts the HTTP
   * request to Secret Manager; `exchange` records how far it got, for the error mapping.
   */
  access(name: string, signal: AbortSignal, exchange: Exchange): Promise<AccessedVersion> {
    return this.#reads.run({ signal, exchange }, async () => {
      await (this.#hooked ??= this.#hook());
      // gax would otherwise retry UNAVAILABLE and RESOURCE_EXHAUSTED for up to 600 s: the resolver retries.
      const [response] = await this.#client.accessSecretVersion({ name }, { retry: { retryCodes: [] } });
      return response;
    });
  }

  /** Adds the two interceptors to the credentials' HTTP transport (once: the auth client is cached). */
  async #hook(): Promise<void> {
    try {
      const { transporter } = await this.#client.auth.getClient();
      const toSecretManager = (url: unknown) => {
        try {
          return new URL(String(url)).host === this.#origin;
        } catch {
          return false;
        }
      };
      transporter.interceptors.request.add({
        resolved: async (config) => {
          const read = this.#reads.getStore();
          if (read) config.signal = config.signal ? AbortSignal.any([config.signal, read.signal]) : read.signal;
          if (toSecretManager(config.url)) {
            if (read) read.exchange.sent = true;
            config.size = MAX_ANSWER_BYTES;
            config.validateStatus = () => true;
          }
          return config;
        },
      });
      transporter.interceptors.response.add({
        resolved: async (response) => {
          const read = this.#reads.getStore();
          if (read && toSecretManager(response.config.url)) read.exchange.status = response.status;
          return response;
        },
      });
    } catch (err) {
      this.#hooked = null;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.#client.close().catch(() => undefined);
  }
}
