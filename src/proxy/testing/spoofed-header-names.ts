/**
 * Header names a client might use to speak for the gateway or to pass as its own address, path or
 * method, spelled as a client would (mixed case, `_` for `-`). Every one must be dropped from an
 * untrusted client: the header-building unit test (`headers.test.ts`) and the raw-socket test
 * through a real listener (`spoofed-headers.test.ts`) both try the whole list.
 */
export const SPOOFED_HEADER_NAMES: readonly string[] = [
  'X-Consumer-ID',
  'X_Consumer_Username',
  'x_consumer_id',
  'X-Consumer_Custom-ID',
  'X_Credential_Identifier',
  'X_Anonymous_Consumer',
  'X-Real-IP',
  'x_real_ip',
  'Forwarded',
  'X-Client-IP',
  'X_Client_IP',
  'True-Client-IP',
  'CF-Connecting-IP',
  'X-Cluster-Client-IP',
  'Client-IP',
  'Fastly-Client-IP',
  'X-Originating-IP',
  'X-Forwarded-Ssl',
  'X-Forwarded-Prefix',
  'X_Forwarded_For',
  'X_Forwarded_Proto',
  'x_forwarded_host',
  'X_Forwarded_Port',
  'X_Request_Id',
  'X-Original-URL',
  'X-Rewrite-URL',
  'X-HTTP-Method-Override',
  'X_HTTP_Method_Override',
  'X-HTTP-Method',
  'X-Method-Override',
  'X_Consumer_Custom_ID',
  'x_credential_identifier',
  'x-consumer_username',
  'x_client_ip',
  'x_forwarded_proto',
  'X_Forwarded_Host',
];
