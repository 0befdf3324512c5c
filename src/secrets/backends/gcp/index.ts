/** The `gcp` vault backend (GCP Secret Manager), as the backend registry lists it. */
export { gcpBackend } from './gcp-backend.js';
export { GcpBackendConfig } from './gcp-backend-config.js';
