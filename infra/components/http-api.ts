/**
 * The HTTPS endpoint for polling nodes (shared/topology.ts's HTTP_ROUTE): an
 * API Gateway HTTP API with one route, `POST /`, proxied to the http
 * function (payload format 2.0), for schools whose filters block the
 * WebSocket upgrade.
 *
 *   api          HTTP, with CORS for the configured origins (any when none):
 *                API Gateway answers the preflights itself
 *   route        POST /, through the $connect authorizer's function when a
 *                credential is configured (else HTTPS would go around it)
 *   stage        $default, auto-deployed, throttled, access-logged
 *   permissions  API Gateway may invoke the http function for this route
 *                only, and the authorize function as this API's authorizer only
 *
 * HTTP API authorizers may cache their answers; the cache is off, so a
 * revoked credential stops working at once, as at $connect.
 *
 * The operator console's page shares this API (and its stage, throttle and
 * access log): console-site.ts adds its two GET routes, outside the authorizer.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { Throttle } from '../config';
import { allowInvokeAsAuthorizer } from './authorizer';
import type { MeshFunction } from './functions';
// Relative, not '#shared/...': Pulumi's TypeScript loader does not read tsconfig paths.
import { HTTP_ROUTE } from '../../shared/topology';

export interface HttpEndpointArgs {
  /** The http function. */
  handler: MeshFunction;
  /** The authorize function, when a credential is configured. */
  authorizer?: MeshFunction;
  /** The web origins allowed (MESH_ALLOWED_ORIGINS); none: any. */
  allowedOrigins: readonly string[];
  throttle: Throttle;
  logRetentionDays: number;
}

/** Where the authorizer finds the credential: the same query parameter as at $connect. */
export const HTTP_IDENTITY_SOURCE = `$request.querystring.${HTTP_ROUTE.queryParameter}`;

/** How long a browser may keep a preflight's answer (s): a poller asks once, not before every poll. */
export const CORS_MAX_AGE_SECONDS = 600;

const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  status: '$context.status',
  requestTime: '$context.requestTime',
  latencyMs: '$context.responseLatency',
  error: '$context.error.message',
  integrationError: '$context.integrationErrorMessage',
});

export class HttpEndpoint extends pulumi.ComponentResource {
  readonly api: aws.apigatewayv2.Api;
  readonly route: aws.apigatewayv2.Route;
  readonly stage: aws.apigatewayv2.Stage;
  /** The URL to POST requests to: https://{apiId}.execute-api.{region}.amazonaws.com/ */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: HttpEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mesh:api:HttpEndpoint', name, {}, opts);
    const fn = args.handler.function;

    this.api = new aws.apigatewayv2.Api(
      name,
      {
        protocolType: 'HTTP',
        corsConfiguration: {
          allowOrigins: args.allowedOrigins.length > 0 ? [...args.allowedOrigins] : ['*'],
          allowMethods: [HTTP_ROUTE.method],
          allowHeaders: ['content-type'],
          maxAge: CORS_MAX_AGE_SECONDS,
        },
      },
      { parent: this },
    );
    const apiId = this.api.id;

    const integration = new aws.apigatewayv2.Integration(
      name,
      {
        apiId,
        integrationType: 'AWS_PROXY',
        integrationMethod: 'POST',
        integrationUri: fn.invokeArn,
        payloadFormatVersion: '2.0',
      },
      { parent: this },
    );

    const authorizer = args.authorizer && this.declareAuthorizer(name, args.authorizer);
    this.route = new aws.apigatewayv2.Route(
      name,
      {
        apiId,
        routeKey: HTTP_ROUTE.routeKey,
        target: pulumi.interpolate`integrations/${integration.id}`,
        ...(authorizer ? { authorizationType: 'CUSTOM', authorizerId: authorizer.id } : {}),
      },
      { parent: this },
    );

    // API Gateway may invoke the function for this route only ({stage}/{method}/{path without its slash}).
    new aws.lambda.Permission(
      name,
      {
        action: 'lambda:InvokeFunction',
        function: fn.name,
        principal: 'apigateway.amazonaws.com',
        sourceArn: pulumi.interpolate`${this.api.executionArn}/*/${HTTP_ROUTE.method}${HTTP_ROUTE.path}`,
      },
      { parent: this },
    );

    const accessLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-access`,
      { name: `/mesh/${pulumi.getStack()}/http-access`, retentionInDays: args.logRetentionDays },
      { parent: this },
    );
    this.stage = new aws.apigatewayv2.Stage(
      name,
      {
        apiId,
        name: '$default',
        autoDeploy: true,
        defaultRouteSettings: {
          throttlingRateLimit: args.throttle.rateLimit,
          throttlingBurstLimit: args.throttle.burstLimit,
        },
        accessLogSettings: { destinationArn: accessLogGroup.arn, format: ACCESS_LOG_FORMAT },
      },
      { parent: this, dependsOn: [this.route] },
    );

    this.url = pulumi.interpolate`${this.api.apiEndpoint}${HTTP_ROUTE.path}`;
    this.registerOutputs({ url: this.url });
  }

  /** The REQUEST authorizer of the route: the authorize function, answering as at $connect (IAM policy, format 1.0). */
  private declareAuthorizer(name: string, authorize: MeshFunction): aws.apigatewayv2.Authorizer {
    const authorizer = new aws.apigatewayv2.Authorizer(
      name,
      {
        apiId: this.api.id,
        name: `${name}-http`,
        authorizerType: 'REQUEST',
        authorizerUri: authorize.function.invokeArn,
        identitySources: [HTTP_IDENTITY_SOURCE],
        authorizerPayloadFormatVersion: '1.0',
        authorizerResultTtlInSeconds: 0,
      },
      { parent: this },
    );
    allowInvokeAsAuthorizer(`${name}-authorizer`, authorize.function, this.api.executionArn, authorizer, this);
    return authorizer;
  }
}
