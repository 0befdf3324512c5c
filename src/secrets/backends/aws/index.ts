/** The `aws` vault backend (AWS Secrets Manager). */
export { awsBackend } from './aws-backend.js';
