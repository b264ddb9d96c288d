/**
 * The REQUEST authorizer of $connect (on when a credential is configured:
 * shared/topology.ts's CONNECT_AUTHORIZER). It checks the `token` query
 * parameter (shared/adapters/auth/credentials.ts) and answers API Gateway:
 *   - a valid credential: a policy allowing this $connect, with the
 *     principal (its subject and allowed domains) as the context API Gateway
 *     then hands every event of the connection (principal-context.ts);
 *   - an invalid one: the error "Unauthorized", which API Gateway turns into
 *     HTTP 401 at the upgrade, so no connection exists;
 *   - a failure of its own (the key server unreachable): a failed
 *     invocation, which API Gateway answers with 500.
 * API Gateway does not cache authorizers of WebSocket APIs: each upgrade
 * invokes this once; the JWKS cache of the verifier saves the key fetches.
 */
import middy from '@middy/core';
import { CredentialVerifier, InvalidCredential } from '#shared/adapters/auth/credentials';
import { authSettings } from '#shared/config';
import type { AuthorizerEvent } from '#shared/lambda/events';
import { createLogger } from '#shared/lambda/logger';
import { principalContext } from '#shared/lambda/principal-context';
import { CONNECT_AUTHORIZER } from '#shared/topology';

const logger = createLogger({ function: 'authorize' });
const verifier = new CredentialVerifier(authSettings());

/** What API Gateway expects back from a Lambda authorizer. */
export interface AuthorizerResult {
  principalId: string;
  policyDocument: {
    Version: '2012-10-17';
    Statement: { Action: 'execute-api:Invoke'; Effect: 'Allow'; Resource: string }[];
  };
  context: Record<string, string>;
}

/** The error message API Gateway answers with 401 (any other failure is a 500). */
export const UNAUTHORIZED = 'Unauthorized';

async function functionHandler(event: AuthorizerEvent): Promise<AuthorizerResult> {
  const connectionId = event.requestContext?.connectionId;
  const token = event.queryStringParameters?.[CONNECT_AUTHORIZER.queryParameter];
  if (token === undefined || token === '') {
    logger.info('connection refused: no credential', { connectionId });
    throw new Error(UNAUTHORIZED);
  }
  try {
    const principal = await verifier.verify(token);
    logger.info('connection authorized', { connectionId, subject: principal.subject });
    return {
      principalId: principal.subject,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
      },
      context: principalContext(principal),
    };
  } catch (error) {
    if (!(error instanceof InvalidCredential)) {
      logger.error('authorizer failed', { connectionId, error });
      throw error;
    }
    // The reason is logged for the operator, never told to the client.
    logger.info('connection refused: invalid credential', { connectionId, reason: error.message });
    throw new Error(UNAUTHORIZED);
  }
}

// No logErrors middleware: a refusal is an expected answer, logged above as info, not an error.
export const handler = middy(functionHandler);
