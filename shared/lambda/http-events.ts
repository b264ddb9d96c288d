/**
 * Typed reading of what API Gateway's HTTP API hands the HTTPS request
 * function (the Lambda proxy integration, payload format 2.0), and the
 * response it expects. Only the fields used are declared.
 */
import { httpsCaller } from '#shared/core/bindings';
import type { Caller } from '#shared/core/model';
import { principalOf } from './principal-context';

export interface HttpApiEvent {
  version?: string;
  routeKey?: string;
  headers?: Record<string, string | undefined>;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext: {
    requestId?: string;
    http?: { method?: string; path?: string; sourceIp?: string; userAgent?: string };
    /** A Lambda authorizer's answer: its `context` map under `lambda` (principal-context.ts). */
    authorizer?: { lambda?: Record<string, unknown> | null } | null;
  };
}

export interface HttpApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The request's body text (API Gateway base64-encodes what it does not take for text). */
export function httpBody(event: HttpApiEvent): string | undefined {
  const body = event.body;
  if (typeof body !== 'string') return undefined;
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

/** The caller of the request: bound to the nodeToken it presents (bindings.ts), with its principal if an authorizer ran. */
export function httpCallerOf(event: HttpApiEvent, request: { nodeToken?: string }): Caller {
  const sourceIp = event.requestContext?.http?.sourceIp ?? '';
  const lambda = event.requestContext?.authorizer?.lambda;
  const principal =
    lambda === undefined || lambda === null ? undefined : principalOf({ principalId: lambda.subject, ...lambda });
  return httpsCaller(request, sourceIp, principal);
}
