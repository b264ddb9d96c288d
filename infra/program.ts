/**
 * The whole deployment as one function: given a config and the Lambda code,
 * declare every resource and return what the stack exports. infra/index.ts
 * calls it with the stack's config and the built bundles; the tests call it
 * under Pulumi's mocks with a config object and stand-in code.
 *
 * What there is to declare (the functions, their routes and triggers, their
 * memory and timeouts) comes from shared/topology.ts, which the local stack
 * reads too. Order of declaration (each step needs something from the one before):
 *   table, WebSocket API, fan-out topic  ->  functions (their environment
 *   names the table, the topic and the API)  ->  SNS subscription, sweep
 *   schedule, the $connect authorizer when a credential is configured,
 *   routes and stage, the HTTPS endpoint (they need the functions)  ->  the
 *   operator console's page on the HTTPS endpoint's API (it names the
 *   WebSocket stage's URL), alarms and the dashboard
 */
import * as pulumi from '@pulumi/pulumi';
import {
  assertBundlesBuilt,
  bundleFolder,
  CONSOLE_SITE_BUNDLE,
  FUNCTION_NAMES,
  type BundleName,
  type FunctionName,
} from './bundles';
import { settingsEnvironment, type MeshConfig } from './config';
import { MeshAlarms } from './components/alarms';
import { ConnectAuthorizer } from './components/authorizer';
import { ConsoleSite } from './components/console-site';
import { MeshDashboard } from './components/dashboard';
import { FanoutSubscription, FanoutTopic } from './components/fanout';
import { HttpEndpoint } from './components/http-api';
import { MeshFunction } from './components/functions';
import { SweepSchedule } from './components/sweep';
import { MeshTable } from './components/table';
import { WebSocketApi, WebSocketRoutes } from './components/websocket';
import { metricsEnvironment, metricsServiceName } from './metrics';
// Relative, not '#shared/...': Pulumi's TypeScript loader does not read tsconfig paths.
import { allowedOrigins } from '../shared/config';
import {
  CONNECT_AUTHORIZER,
  HTTP_ROUTE,
  resourceEnvironment,
  ROUTES,
  secretEnvironment,
  TRIGGERS,
} from '../shared/topology';
import { authorizerConfigured, type MeshSecrets } from './secrets';

/** The Lambda code of each function: a mesh function's bundle, or the console-site's. */
export type CodeSource = (bundle: BundleName) => pulumi.asset.Archive;

/** The bundles of `npm run build` as archives; throws "run npm run build first" when they are missing. */
export function builtBundles(bundleDir?: string): CodeSource {
  assertBundlesBuilt(bundleDir);
  return (bundle) => new pulumi.asset.FileArchive(bundleFolder(bundle, bundleDir));
}

export interface MeshOutputs {
  /** Where clients connect: wss://{apiId}.execute-api.{region}.amazonaws.com/{stage}. */
  url: pulumi.Output<string>;
  /** Where polling nodes POST their requests: https://{apiId}.execute-api.{region}.amazonaws.com/ */
  httpUrl: pulumi.Output<string>;
  /** The Management API (PostToConnection) endpoint the fan-out uses. */
  managementEndpoint: pulumi.Output<string>;
  tableName: pulumi.Output<string>;
  topicArn: pulumi.Output<string>;
  topicName: pulumi.Output<string>;
  deadLetterQueueUrl: pulumi.Output<string>;
  functionNames: pulumi.Output<Record<FunctionName, string>>;
  /** The CloudWatch dashboard of the stack (components/dashboard.ts). */
  dashboardName: pulumi.Output<string>;
  /** The dashboard in the CloudWatch console. */
  dashboardUrl: pulumi.Output<string>;
  /**
   * The operator console: https://{httpApiId}.execute-api.{region}.amazonaws.com/console/#wsUrl={url},
   * without the admin token, which the page asks for (components/console-site.ts).
   */
  consoleUrl: pulumi.Output<string>;
}

export function declareMesh(config: MeshConfig, code: CodeSource, secrets: MeshSecrets): MeshOutputs {
  const table = new MeshTable('mesh', { pointInTimeRecovery: config.pointInTimeRecovery });
  const api = new WebSocketApi('mesh', { stageName: config.stageName });
  const fanoutTopic = new FanoutTopic('mesh-pushes');

  // One environment for every function (FUNCTION_ENV in shared/topology.ts):
  // shared/config.ts reads the MESH_* variables, Powertools' Metrics the
  // namespace and service of the alarms.
  const environment = {
    ...resourceEnvironment<pulumi.Input<string>>({
      tableName: table.name,
      topicArn: fanoutTopic.topic.arn,
      managementEndpoint: api.managementEndpoint,
    }),
    ...settingsEnvironment(config),
    ...metricsEnvironment(config.stageName),
    ...(config.enableSourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
  };
  const resources = {
    tableArn: table.arn,
    topicArn: fanoutTopic.topic.arn,
    manageConnectionsArn: api.manageConnectionsArn,
    closeConnectionsArn: api.closeConnectionsArn,
  };
  const functions = Object.fromEntries(
    FUNCTION_NAMES.map((fn) => [
      fn,
      new MeshFunction(`mesh-${fn}`, {
        fn,
        code: code(fn),
        size: config[fn],
        // The secrets go only to the functions that read them.
        environment: { ...environment, ...secretEnvironment(fn, secrets) },
        logRetentionDays: config.logRetentionDays,
        resources,
      }),
    ]),
  ) as Record<FunctionName, MeshFunction>;

  new FanoutSubscription('mesh-pushes', { topic: fanoutTopic, subscriber: functions[TRIGGERS.topic.fn] });
  new SweepSchedule('mesh-sweep', {
    sweeper: functions[TRIGGERS.schedule.fn],
    intervalMinutes: config.sweepIntervalMinutes,
  });

  // Off unless a credential is configured: then everyone connects, as in Mesh v2.
  const connectAuthorizer = authorizerConfigured(config, secrets)
    ? new ConnectAuthorizer('mesh-authorizer', { api, authorizer: functions[CONNECT_AUTHORIZER.fn] })
    : undefined;

  const routes = new WebSocketRoutes('mesh', {
    api,
    routes: ROUTES,
    handlers: Object.fromEntries(FUNCTION_NAMES.map((fn) => [fn, functions[fn].function])),
    connectAuthorizer,
    throttle: config.throttle,
    hotRouteThrottle: config.hotRouteThrottle,
    logRetentionDays: config.logRetentionDays,
    manageApiGatewayAccount: config.manageApiGatewayAccount,
  });

  // Polling nodes: the same authorizer, when on, and the same origins as $connect.
  const http = new HttpEndpoint('mesh-http', {
    handler: functions[HTTP_ROUTE.fn],
    authorizer: connectAuthorizer ? functions[CONNECT_AUTHORIZER.fn] : undefined,
    allowedOrigins: allowedOrigins(settingsEnvironment(config)),
    throttle: config.httpThrottle,
    logRetentionDays: config.logRetentionDays,
  });

  // Deployed with or without mesh:adminToken (the component says why); the request function reads the token.
  const consoleSite = new ConsoleSite('mesh-console', {
    api: http.api,
    code: code(CONSOLE_SITE_BUNDLE),
    webSocketUrl: routes.url,
    logRetentionDays: config.logRetentionDays,
  });

  new MeshAlarms('mesh', {
    functions,
    deadLetterQueue: fanoutTopic.deadLetterQueue,
    apiId: api.api.id,
    stageName: config.stageName,
    metricsService: metricsServiceName(config.stageName),
    alarmEmail: config.alarmEmail,
  });
  const dashboard = new MeshDashboard('mesh', {
    functions,
    webSocketApiId: api.api.id,
    stageName: config.stageName,
    httpApiId: http.api.id,
    metricsService: metricsServiceName(config.stageName),
  });

  return {
    url: routes.url,
    httpUrl: http.url,
    managementEndpoint: api.managementEndpoint,
    tableName: table.name,
    topicArn: fanoutTopic.topic.arn,
    topicName: fanoutTopic.topic.name,
    deadLetterQueueUrl: fanoutTopic.deadLetterQueue.url,
    functionNames: pulumi.output(
      Object.fromEntries(FUNCTION_NAMES.map((fn) => [fn, functions[fn].function.name])) as Record<
        FunctionName,
        pulumi.Output<string>
      >,
    ),
    dashboardName: dashboard.name,
    dashboardUrl: dashboard.url,
    consoleUrl: consoleSite.url,
  };
}
