/**
 * The REQUEST authorizer of $connect, declared when a credential is
 * configured (infra/secrets.ts's authorizerConfigured). API Gateway reads the
 * credential from the `token` query parameter, refuses an upgrade without
 * one with 401 before invoking anything, and otherwise invokes the authorize
 * function, whose answer it keeps for the connection's life and passes to
 * every event of it as `requestContext.authorizer`. WebSocket APIs do not
 * cache authorizer answers, so there is no TTL to set.
 *
 *   authorizer  REQUEST, identity source route.request.querystring.token
 *   permission  API Gateway may invoke the function as this authorizer only
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { MeshFunction } from './functions';
import type { WebSocketApi } from './websocket';
// Relative, not '#shared/...': Pulumi's TypeScript loader does not read tsconfig paths.
import { CONNECT_AUTHORIZER } from '../../shared/topology';

export interface ConnectAuthorizerArgs {
  api: WebSocketApi;
  /** The authorize function. */
  authorizer: MeshFunction;
}

/** Where API Gateway finds the credential: the identity source of the authorizer. */
export const IDENTITY_SOURCE = `route.request.querystring.${CONNECT_AUTHORIZER.queryParameter}`;

export class ConnectAuthorizer extends pulumi.ComponentResource {
  readonly authorizer: aws.apigatewayv2.Authorizer;
  /** The route the authorizer guards ($connect: WebSocket APIs allow it on no other). */
  readonly routeKey = CONNECT_AUTHORIZER.routeKey;

  constructor(name: string, args: ConnectAuthorizerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mesh:api:ConnectAuthorizer', name, {}, opts);
    const fn = args.authorizer.function;

    this.authorizer = new aws.apigatewayv2.Authorizer(
      name,
      {
        apiId: args.api.api.id,
        name: `${name}-connect`,
        authorizerType: 'REQUEST',
        authorizerUri: fn.invokeArn,
        identitySources: [IDENTITY_SOURCE],
      },
      { parent: this },
    );

    allowInvokeAsAuthorizer(name, fn, args.api.api.executionArn, this.authorizer, this);
    this.registerOutputs({ authorizerId: this.authorizer.id });
  }
}

/** Lets API Gateway invoke `fn` as `authorizer` of the API whose execution ARN is given, and as nothing else. */
export function allowInvokeAsAuthorizer(
  name: string,
  fn: aws.lambda.Function,
  executionArn: pulumi.Input<string>,
  authorizer: aws.apigatewayv2.Authorizer,
  parent: pulumi.Resource,
): aws.lambda.Permission {
  return new aws.lambda.Permission(
    name,
    {
      action: 'lambda:InvokeFunction',
      function: fn.name,
      principal: 'apigateway.amazonaws.com',
      sourceArn: pulumi.interpolate`${executionArn}/authorizers/${authorizer.id}`,
    },
    { parent },
  );
}
