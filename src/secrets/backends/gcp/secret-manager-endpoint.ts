/**
 * Where a gcp vault's client connects: its `api_endpoint` when set, else Secret Manager's global
 * endpoint, or the regional one (`secretmanager.<location>.rep.googleapis.com`) for regional
 * secrets, which only their own region's endpoint serves (secret-manager/regional-secrets).
 */

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** The host and port for `config` in the universe `universe` (`googleapis.com` outside sovereign clouds). */
export function secretManagerEndpoint(config: { readonly api_endpoint?: string; readonly location?: string }, universe: string): Endpoint {
  const endpoint = config.api_endpoint ?? (config.location === undefined ? `secretmanager.${universe}` : `secretmanager.${config.location}.rep.${universe}`);
  const colon = endpoint.lastIndexOf(':');
  return colon === -1 ? { host: endpoint, port: 443 } : { host: endpoint.slice(0, colon), port: Number(endpoint.slice(colon + 1)) };
}
