/**
 * The API Gateway WebSocket API, in two components because the functions sit
 * between them: the functions' environment needs the API's id (the
 * Management API endpoint, the ManageConnections ARN), and the routes need
 * the functions.
 *
 *   WebSocketApi     the API and the addresses derived from it
 *   WebSocketRoutes  per route: integration, route, route response, invoke
 *                    permission, the authorizer of $connect when there is
 *                    one; the stage with throttling and access logs
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { Throttle } from '../config';
// Relative, not '#shared/...': Pulumi's TypeScript loader does not read tsconfig paths.
import { routeFunctions, type FunctionName, type RouteSpec } from '../../shared/topology';

/** Routes that fan out to the whole group on every message: throttled on their own. */
export const HOT_ROUTES = ['reportDataByNode', 'fireEventsByNode'] as const;

export interface WebSocketApiArgs {
  /** Stage name; the ARNs and URLs below include it. */
  stageName: string;
}

export class WebSocketApi extends pulumi.ComponentResource {
  readonly api: aws.apigatewayv2.Api;
  readonly stageName: string;
  /** `wss://{apiId}.execute-api.{region}.amazonaws.com/{stage}`: where clients connect. */
  readonly url: pulumi.Output<string>;
  /** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`: MESH_MANAGEMENT_ENDPOINT. */
  readonly managementEndpoint: pulumi.Output<string>;
  /** PostToConnection on this API and stage only; the fan-out's grant. */
  readonly manageConnectionsArn: pulumi.Output<string>;
  /** DeleteConnection on this API and stage only; the request function's grant (closing a flooding connection). */
  readonly closeConnectionsArn: pulumi.Output<string>;

  constructor(name: string, args: WebSocketApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mesh:api:WebSocketApi', name, {}, opts);
    this.stageName = args.stageName;

    this.api = new aws.apigatewayv2.Api(
      name,
      {
        protocolType: 'WEBSOCKET',
        description: 'Mesh: real-time groups for Scratch/Smalruby clients (wire protocol v1)',
        // A frame that is not JSON, or names no known action, goes to $default.
        routeSelectionExpression: '$request.body.action',
      },
      { parent: this },
    );

    // apiEndpoint is wss://{apiId}.execute-api.{region}.amazonaws.com (the partition's DNS suffix included).
    this.url = pulumi.interpolate`${this.api.apiEndpoint}/${args.stageName}`;
    this.managementEndpoint = this.api.apiEndpoint.apply(
      (endpoint) => `${endpoint.replace(/^wss:/, 'https:')}/${args.stageName}`,
    );
    // executionArn is arn:{partition}:execute-api:{region}:{account}:{apiId}.
    this.manageConnectionsArn = pulumi.interpolate`${this.api.executionArn}/${args.stageName}/POST/@connections/*`;
    this.closeConnectionsArn = pulumi.interpolate`${this.api.executionArn}/${args.stageName}/DELETE/@connections/*`;
    this.registerOutputs({ url: this.url, managementEndpoint: this.managementEndpoint });
  }
}

/** The functions by name; only `arn`, `invokeArn` and `name` of those behind a route are used. */
export type RouteHandlers = Partial<Record<FunctionName, aws.lambda.Function>>;

export interface WebSocketRoutesArgs {
  api: WebSocketApi;
  /** Route key → function, and which routes answer the caller: the topology's ROUTES (shared/topology.ts). */
  routes: readonly RouteSpec[];
  /** A function for every `fn` the routes name. */
  handlers: RouteHandlers;
  /** The authorizer of a route ($connect), when the deployment has one (components/authorizer.ts). */
  connectAuthorizer?: { routeKey: string; authorizer: aws.apigatewayv2.Authorizer };
  /** Default throttling of every route. */
  throttle: Throttle;
  /** Throttling of HOT_ROUTES. */
  hotRouteThrottle: Throttle;
  /** Retention of the access log group. */
  logRetentionDays: number;
  /**
   * Set the account's API Gateway CloudWatch Logs role, which access logging
   * on a WebSocket stage requires. Default: true.
   */
  manageApiGatewayAccount?: boolean;
}

/** One access-log line per connect, message and disconnect. */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  connectionId: '$context.connectionId',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  status: '$context.status',
  requestTime: '$context.requestTimeEpoch',
  sourceIp: '$context.identity.sourceIp',
  integrationStatus: '$context.integration.status',
  integrationLatencyMs: '$context.integration.latency',
  error: '$context.error.message',
  integrationError: '$context.integration.error',
});

export class WebSocketRoutes extends pulumi.ComponentResource {
  readonly stage: aws.apigatewayv2.Stage;
  readonly routes: Record<string, aws.apigatewayv2.Route>;
  readonly accessLogGroup: aws.cloudwatch.LogGroup;
  /** The wss:// URL, known once the stage exists. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: WebSocketRoutesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mesh:api:WebSocketRoutes', name, {}, opts);
    const { api } = args;
    const apiId = api.api.id;
    const stageName = api.stageName;
    const handlerOf = (fn: FunctionName): aws.lambda.Function => {
      const handler = args.handlers[fn];
      if (!handler) throw new Error(`a route names the ${fn} function, which has no handler`);
      return handler;
    };

    // One Lambda proxy integration per function behind a route; its routes share it.
    const integrations = Object.fromEntries(
      routeFunctions(args.routes).map((fn) => [
        fn,
        new aws.apigatewayv2.Integration(
          `${name}-${fn}`,
          {
            apiId,
            integrationType: 'AWS_PROXY',
            integrationMethod: 'POST',
            integrationUri: handlerOf(fn).invokeArn,
          },
          { parent: this },
        ),
      ]),
    ) as Partial<Record<FunctionName, aws.apigatewayv2.Integration>>;

    // Two-way routes (every action, and $default for anything else) answer
    // the caller through a route response: the function's returned body goes
    // back on the socket without a PostToConnection call.
    this.routes = {};
    const dependencies: pulumi.Resource[] = [];
    for (const { routeKey, fn, twoWay } of args.routes) {
      const id = `${name}-${routeKey.replace(/^\$/, '')}`;
      const route = new aws.apigatewayv2.Route(
        id,
        {
          apiId,
          routeKey,
          target: pulumi.interpolate`integrations/${integrations[fn]!.id}`,
          ...(twoWay ? { routeResponseSelectionExpression: '$default' } : {}),
          ...(args.connectAuthorizer?.routeKey === routeKey
            ? { authorizationType: 'CUSTOM', authorizerId: args.connectAuthorizer.authorizer.id }
            : {}),
        },
        { parent: this },
      );
      this.routes[routeKey] = route;
      dependencies.push(route);
      if (twoWay) {
        dependencies.push(
          new aws.apigatewayv2.RouteResponse(
            id,
            { apiId, routeId: route.id, routeResponseKey: '$default' },
            { parent: this },
          ),
        );
      }
      // API Gateway may invoke the function for this stage and route only.
      new aws.lambda.Permission(
        id,
        {
          action: 'lambda:InvokeFunction',
          function: handlerOf(fn).name,
          principal: 'apigateway.amazonaws.com',
          sourceArn: pulumi.interpolate`${api.api.executionArn}/${stageName}/${routeKey}`,
        },
        { parent: this },
      );
    }

    for (const hot of HOT_ROUTES) {
      if (!this.routes[hot]) throw new Error(`hot route ${hot} is not an action of the protocol`);
    }

    if (args.manageApiGatewayAccount ?? true) {
      dependencies.push(new ApiGatewayLogsRole(`${name}-logs-role`, { parent: this }));
    }

    this.accessLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-access`,
      { name: `/mesh/${pulumi.getStack()}/api-access`, retentionInDays: args.logRetentionDays },
      { parent: this },
    );

    this.stage = new aws.apigatewayv2.Stage(
      name,
      {
        apiId,
        name: stageName,
        autoDeploy: true,
        defaultRouteSettings: {
          throttlingRateLimit: args.throttle.rateLimit,
          throttlingBurstLimit: args.throttle.burstLimit,
          // Execution logs would need their own retention; access logs cover every request.
          loggingLevel: 'OFF',
          dataTraceEnabled: false,
        },
        routeSettings: HOT_ROUTES.map((routeKey) => ({
          routeKey,
          throttlingRateLimit: args.hotRouteThrottle.rateLimit,
          throttlingBurstLimit: args.hotRouteThrottle.burstLimit,
        })),
        accessLogSettings: { destinationArn: this.accessLogGroup.arn, format: ACCESS_LOG_FORMAT },
      },
      // Route settings name routes that must exist; access logging needs the account's logs role.
      { parent: this, dependsOn: dependencies },
    );

    this.url = pulumi.interpolate`${api.api.apiEndpoint}/${this.stage.name}`;
    this.registerOutputs({ url: this.url, stage: this.stage.name });
  }
}

/**
 * The account-wide (per Region) role API Gateway uses to write logs of REST
 * and WebSocket stages. AWS's managed policy for it has Resource "*": API
 * Gateway names the execution-log groups itself (API-Gateway-Execution-Logs_
 * {apiId}/{stage}) and the one role serves every API of the account, so the
 * role cannot be scoped to this stack's log group.
 */
class ApiGatewayLogsRole extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super('mesh:api:ApiGatewayLogsRole', name, {}, opts);
    const partition = aws.getPartitionOutput({}, { parent: this });
    const role = new aws.iam.Role(
      name,
      {
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      },
      { parent: this },
    );
    const attachment = new aws.iam.RolePolicyAttachment(
      name,
      {
        role: role.name,
        policyArn: pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
      },
      { parent: this },
    );
    new aws.apigateway.Account(name, { cloudwatchRoleArn: role.arn }, { parent: this, dependsOn: [attachment] });
    this.registerOutputs({});
  }
}
