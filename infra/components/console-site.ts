/**
 * The operator console's page (console/), served by the HTTPS endpoint's
 * HTTP API from a small function whose code holds the page:
 *
 *   function     handlers/console-site.ts with the three files of
 *                console/build.ts built in at `npm run build` (the
 *                console-site bundle, infra/build.ts); its own log group, and
 *                a role that may write there and nothing else: it reads no
 *                table, publishes nothing and posts to no connection
 *   routes       GET /console (answered with a redirect to /console/, where
 *                index.html's relative names resolve) and GET /console/{file}
 *                (index.html, app.js, app.css), both to one payload-2.0 Lambda
 *                proxy integration, neither behind the authorizer: the page
 *                holds no secret, and the admin token the operator types into
 *                it is what the server checks (watchMesh, watchGroup)
 *   permissions  API Gateway may invoke the function for these two routes only
 *   url          consoleUrl: https://{httpApiId}.execute-api.{region}.amazonaws.com/console/#wsUrl={stage URL},
 *                in console/params.ts's hash; no admin token in it (a stack
 *                output is no place for a credential): the page's form asks
 *
 * Declared whether or not mesh:adminToken is set. Without it the request
 * function refuses every console action, and the page says so ("the console
 * is off: this deployment has no admin token") when the operator connects.
 * Deploying it either way keeps consoleUrl a stack output in every stack
 * (Pulumi warns on an output left undefined) and makes setting the token
 * later a change of one function's environment, not of the stack's shape.
 * Idle, the function costs nothing.
 *
 * No S3 bucket or CloudFront: three files of about 80 KiB need no CDN, and
 * the HTTP API already has a stage, a throttle and an access log, which the
 * page's requests share with the polling endpoint's.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME } from './functions';
import { ownLogsStatement } from '../iam';
// Relative, not '#handlers/...': Pulumi's TypeScript loader does not read tsconfig paths.
import { CONSOLE_PATH } from '../../handlers/console-site';
import { hashOf } from '../../console/params';

export interface ConsoleSiteArgs {
  /** The HTTP API the page is served from (the HTTPS endpoint's, components/http-api.ts). */
  api: aws.apigatewayv2.Api;
  /** The console-site bundle: index.js (exports `handler`, the page inside) and its source map. */
  code: pulumi.asset.Archive;
  /** The WebSocket stage's URL (wss://…/{stage}), which consoleUrl names for the page to connect to. */
  webSocketUrl: pulumi.Input<string>;
  /** Retention of the function's log group. */
  logRetentionDays: number;
  /** Memory (MB). Default: 128, Lambda's least: the answers are in memory already. */
  memoryMb?: number;
  /** Timeout (s). Default: 3, Lambda's own default: an answer takes milliseconds. */
  timeoutSeconds?: number;
}

/** The page's routes (route keys of the HTTP API), each named for its resources' names. */
export const CONSOLE_ROUTES = [
  { suffix: 'page', routeKey: `GET ${CONSOLE_PATH}` },
  { suffix: 'file', routeKey: `GET ${CONSOLE_PATH}/{file}` },
] as const;

/**
 * The source ARN of a route's invocations, in any stage:
 * `{executionArn}/{stage}/{method}{path}`, a wildcard for the stage and for
 * each path variable.
 */
export function routeSourceArn(executionArn: pulumi.Input<string>, routeKey: string): pulumi.Output<string> {
  const [method, path] = routeKey.split(' ');
  return pulumi.interpolate`${executionArn}/*/${method}${path.replace(/\{[^}]+\}/g, '*')}`;
}

export class ConsoleSite extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly routes: aws.apigatewayv2.Route[];
  /** Where an operator opens the console: the page, with the WebSocket URL in its hash. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: ConsoleSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mesh:ops:ConsoleSite', name, {}, opts);

    // Created here, with a retention, so that the role needs no logs:CreateLogGroup (as for every MeshFunction).
    this.logGroup = new aws.cloudwatch.LogGroup(
      name,
      { name: `/mesh/${pulumi.getStack()}/lambda/console-site`, retentionInDays: args.logRetentionDays },
      { parent: this },
    );
    this.role = new aws.iam.Role(
      name,
      {
        description: 'Mesh console-site function: writes its own log, nothing else',
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      },
      { parent: this },
    );
    const policy = new aws.iam.RolePolicy(
      name,
      {
        role: this.role.id,
        policy: pulumi.jsonStringify({ Version: '2012-10-17', Statement: [ownLogsStatement(this.logGroup.arn)] }),
      },
      { parent: this },
    );
    this.function = new aws.lambda.Function(
      name,
      {
        description: 'Mesh operator console page (handlers/console-site.ts)',
        runtime: LAMBDA_RUNTIME,
        architectures: [LAMBDA_ARCHITECTURE],
        handler: 'index.handler',
        code: args.code,
        role: this.role.arn,
        memorySize: args.memoryMb ?? 128,
        timeout: args.timeoutSeconds ?? 3,
        loggingConfig: { logFormat: 'JSON', logGroup: this.logGroup.name },
      },
      { parent: this, dependsOn: [policy] },
    );

    const integration = new aws.apigatewayv2.Integration(
      name,
      {
        apiId: args.api.id,
        integrationType: 'AWS_PROXY',
        integrationMethod: 'POST',
        integrationUri: this.function.invokeArn,
        payloadFormatVersion: '2.0',
      },
      { parent: this },
    );
    // The HTTPS endpoint's stage deploys itself (autoDeploy): a route added here goes live with it.
    this.routes = CONSOLE_ROUTES.map(({ suffix, routeKey }) => {
      new aws.lambda.Permission(
        `${name}-${suffix}`,
        {
          action: 'lambda:InvokeFunction',
          function: this.function.name,
          principal: 'apigateway.amazonaws.com',
          sourceArn: routeSourceArn(args.api.executionArn, routeKey),
        },
        { parent: this },
      );
      return new aws.apigatewayv2.Route(
        `${name}-${suffix}`,
        { apiId: args.api.id, routeKey, target: pulumi.interpolate`integrations/${integration.id}` },
        { parent: this },
      );
    });

    const hash = pulumi.output(args.webSocketUrl).apply((wsUrl) => hashOf({ wsUrl }));
    this.url = pulumi.interpolate`${args.api.apiEndpoint}${CONSOLE_PATH}/${hash}`;
    this.registerOutputs({ url: this.url, functionName: this.function.name });
  }
}
