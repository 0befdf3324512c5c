/** The `azure` vault backend (Azure Key Vault): the factory the backend registry lists. */
export { azureBackend } from './azure-backend.js';
