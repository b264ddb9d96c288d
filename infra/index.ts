/**
 * The Pulumi program (`pulumi up` from the repository root; Pulumi.yaml's
 * `main: infra/`). Reads the stack's `mesh:` config and secrets, uploads the bundles of
 * `npm run build`, and exports the addresses a client and an operator need.
 */
import { readConfig } from './config';
import { builtBundles, declareMesh } from './program';
import { readSecrets } from './secrets';

const config = readConfig();
const mesh = declareMesh(config, builtBundles(config.bundleDir), readSecrets());

/** wss://{apiId}.execute-api.{region}.amazonaws.com/{stage}: give this to clients. */
export const url = mesh.url;
/** https://{apiId}.execute-api.{region}.amazonaws.com/: polling nodes POST their requests here. */
export const httpUrl = mesh.httpUrl;
/** https://{apiId}.execute-api.{region}.amazonaws.com/{stage}: the Management API (PostToConnection). */
export const managementEndpoint = mesh.managementEndpoint;
export const tableName = mesh.tableName;
export const topicArn = mesh.topicArn;
export const topicName = mesh.topicName;
export const deadLetterQueueUrl = mesh.deadLetterQueueUrl;
export const functionNames = mesh.functionNames;
/** The CloudWatch dashboard of the mesh's metrics, and where to open it. */
export const dashboardName = mesh.dashboardName;
export const dashboardUrl = mesh.dashboardUrl;
/** The operator console, https://{apiId}.execute-api.{region}.amazonaws.com/console/#wsUrl=…: open it and type the admin token. */
export const consoleUrl = mesh.consoleUrl;
