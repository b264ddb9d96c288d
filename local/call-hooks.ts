/**
 * What the stack does with the SDK hooks (sdk-hooks.ts) in a thread that runs
 * handlers (the stack's own, or a worker): count DynamoDB calls by operation,
 * inject DynamoDB throttling and stalls below the SDK's retry middleware, and
 * tell the fan-out's thread when a PostToConnection has finished (the
 * fan-out kill fault counts posts).
 */
import type { FaultInjector } from './faults';
import type { InjectedResponse, SdkHooks } from './sdk-hooks';
import { requestId } from './net';

const THROTTLE_MESSAGES = {
  ThrottlingException: 'Rate of requests exceeds the allowed throughput.',
  ProvisionedThroughputExceededException:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
} as const;

/**
 * A DynamoDB error as AWS answers it (awsJson1_0: HTTP 400, `__type` in a
 * JSON body), so the SDK raises it by name and retries it as throttling.
 */
export function dynamodbThrottle(type: keyof typeof THROTTLE_MESSAGES): InjectedResponse {
  const namespace =
    type === 'ThrottlingException' ? 'com.amazon.coral.availability' : 'com.amazonaws.dynamodb.v20120810';
  return {
    statusCode: 400,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId() },
    body: JSON.stringify({ __type: `${namespace}#${type}`, message: THROTTLE_MESSAGES[type] }),
  };
}

export interface CallHookOptions {
  faults: FaultInjector;
  /** A DynamoDB call by a handler: once per `send`, so the SDK's retries after an injected throttle are not counted as calls. */
  onDynamoDbCall(operation: string): void;
  /** A PostToConnection has settled. */
  onPostDone?(): void;
}

/** The hooks for one thread. */
export function callHooks({ faults, onDynamoDbCall, onPostDone }: CallHookOptions): SdkHooks {
  return {
    onCall: ({ service, operation }) => {
      if (service === 'DynamoDB') onDynamoDbCall(operation);
    },
    afterCall: ({ service, operation }) => {
      if (service === 'ApiGatewayManagementApi' && operation === 'PostToConnection') onPostDone?.();
    },
    beforeAttempt: ({ service, operation }) => {
      if (service !== 'DynamoDB') return undefined;
      const plan = faults.dynamodbAttempt(operation);
      if (!plan.stallMs && !plan.throttle) return undefined;
      return { delayMs: plan.stallMs, response: plan.throttle ? dynamodbThrottle(plan.throttle) : undefined };
    },
  };
}
