/**
 * The REQUEST authorizer of $connect, run by the gateway (gateway.ts) during
 * the upgrade as API Gateway runs it:
 *   - the identity source (a query parameter) missing or empty: 401, and the
 *     authorizer is not invoked;
 *   - the authorizer fails with the error "Unauthorized": 401;
 *   - it fails otherwise, or answers no policy: 500;
 *   - its policy does not allow execute-api:Invoke on the route's ARN: 403;
 *   - allowed: the `principalId` and the `context` map become the
 *     connection's `requestContext.authorizer`, in its $connect event and in
 *     every later event of the connection.
 * The authorizer's event is the $connect event plus `type` and `methodArn`.
 */
import type { LocalLambda } from './lambda';

export interface LocalAuthorizer {
  fn: LocalLambda;
  /** The identity source: `route.request.querystring.{queryParameter}`. */
  queryParameter: string;
}

/** What every event of an authorized connection carries as `requestContext.authorizer`. */
export type AuthorizerContext = Record<string, string | number | boolean>;

export type AuthorizerOutcome = { status: 200; authorizer: AuthorizerContext } | { status: 401 | 403 | 500 };

interface Statement {
  Action?: string | string[];
  Effect?: string;
  Resource?: string | string[];
}

interface AuthorizerAnswer {
  principalId?: unknown;
  policyDocument?: { Statement?: Statement[] };
  context?: Record<string, unknown>;
}

/** Runs the authorizer for an upgrade whose $connect event is `connectEvent`. */
export async function authorizeUpgrade(
  authorizer: LocalAuthorizer,
  connectEvent: { queryStringParameters?: Record<string, string> },
  methodArn: string,
): Promise<AuthorizerOutcome> {
  const credential = connectEvent.queryStringParameters?.[authorizer.queryParameter];
  if (credential === undefined || credential === '') return { status: 401 };
  let answer: AuthorizerAnswer | undefined;
  try {
    answer = (await authorizer.fn.invoke({ ...connectEvent, type: 'REQUEST', methodArn })) as AuthorizerAnswer;
  } catch (error) {
    return { status: (error as Error)?.message === 'Unauthorized' ? 401 : 500 };
  }
  if (typeof answer?.principalId !== 'string' || !Array.isArray(answer.policyDocument?.Statement)) {
    return { status: 500 };
  }
  if (!allows(answer.policyDocument.Statement, methodArn)) return { status: 403 };
  const context: AuthorizerContext = {};
  for (const [key, value] of Object.entries(answer.context ?? {})) {
    // API Gateway takes only primitive values in the context map; anything else fails the authorizer.
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return { status: 500 };
    context[key] = value;
  }
  return { status: 200, authorizer: { ...context, principalId: answer.principalId } };
}

/** An explicit Deny wins; otherwise some Allow of execute-api:Invoke must cover the ARN (`*` as a wildcard). */
function allows(statements: Statement[], arn: string): boolean {
  const covers = (statement: Statement) =>
    list(statement.Action).some((action) => matches(action, 'execute-api:Invoke')) &&
    list(statement.Resource).some((resource) => matches(resource, arn));
  if (statements.some((statement) => statement.Effect === 'Deny' && covers(statement))) return false;
  return statements.some((statement) => statement.Effect === 'Allow' && covers(statement));
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function matches(pattern: string, value: string): boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(value);
}
