/**
 * The upstream TLS settings of every service of one runtime state, computed when the state is
 * built (so a certificate that cannot be used is reported once per build, not per request) and
 * read per request by the proxy. A plain-http service has none.
 */
import type { Logger } from 'pino';
import { usesTls, type Service } from '../entities/services.js';
import { upstreamTlsFor, type UpstreamTls, type UpstreamTlsLookup } from './upstream-tls.js';
import { createUpstreamTlsLookup, type CaCertificateMaterial, type ClientCertificateMaterial } from './upstream-tls-lookup.js';

/** A service's upstream TLS: its settings, `'unusable'` (a reference that cannot be honoured), or null for plain http. */
export type UpstreamTlsOf = (service: Service) => UpstreamTls | 'unusable' | null;

/** What the table is built from: the snapshot's services and resolved certificates. */
export interface UpstreamTlsSource {
  readonly services: readonly Service[];
  readonly caCertificates?: readonly CaCertificateMaterial[];
  readonly clientCertificates?: readonly ClientCertificateMaterial[];
}

/** Computes every https service's settings now, logging (warn) each service that cannot be used and why. */
export function createUpstreamTlsTable(source: UpstreamTlsSource, logger: Logger): UpstreamTlsOf {
  const lookup = createUpstreamTlsLookup(source, (kind, id, reason) =>
    logger.warn({ [kind === 'ca_certificates' ? 'ca_certificate' : 'certificate']: id, reason }, 'a certificate referenced by a service cannot be used'),
  );
  const settings = new WeakMap<Service, UpstreamTls | 'unusable' | null>();
  for (const service of source.services) {
    settings.set(
      service,
      compute(service, lookup, (problem) =>
        logger.warn(
          { service: service.name ?? service.id, field: problem.field, id: problem.id, reason: problem.reason },
          'upstream TLS settings cannot be used: requests to this service are refused (PC_PROXY_UPSTREAM_TLS_CONFIG)',
        ),
      ),
    );
  }
  return (service) => {
    let found = settings.get(service);
    if (found === undefined) {
      // A service object of another state (a request that began before a rebuild): computed
      // against this state's certificates, so it never falls back to fewer settings.
      found = compute(service, lookup);
      settings.set(service, found);
    }
    return found;
  };
}

function compute(service: Service, lookup: UpstreamTlsLookup, onProblem?: Parameters<typeof upstreamTlsFor>[2]): UpstreamTls | 'unusable' | null {
  return usesTls(service.protocol) ? upstreamTlsFor(service, lookup, onProblem) : null;
}
