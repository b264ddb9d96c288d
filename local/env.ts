/**
 * The local stack's own environment variables, one name each, for the stack,
 * its launcher, the chaos runs and the bench. The handlers' variables are
 * ENV in shared/config.ts; local/README.md documents both.
 */
export const LOCAL_ENV = {
  wsPort: 'MESH_WS_PORT',
  wsHost: 'MESH_WS_HOST',
  httpPort: 'MESH_HTTP_PORT',
  wsIdleTimeoutSeconds: 'MESH_WS_IDLE_TIMEOUT_SECONDS',
  wsMaxConnectionSeconds: 'MESH_WS_MAX_CONNECTION_SECONDS',
  stage: 'MESH_STAGE',
  dynamodbEndpoint: 'MESH_DYNAMODB_ENDPOINT',
  dynamodbPort: 'MESH_DYNAMODB_PORT',
  dynamodbJavaOpts: 'MESH_DYNAMODB_JAVA_OPTS',
  dataDir: 'MESH_DATA_DIR',
  managementPort: 'MESH_MANAGEMENT_PORT',
  snsPort: 'MESH_SNS_PORT',
  snsDeliveryAttempts: 'MESH_SNS_DELIVERY_ATTEMPTS',
  snsRetryBaseMs: 'MESH_SNS_RETRY_BASE_MS',
  sweepIntervalSeconds: 'MESH_SWEEP_INTERVAL_SECONDS',
  localWorkers: 'MESH_LOCAL_WORKERS',
  faults: 'MESH_FAULTS',
} as const;
