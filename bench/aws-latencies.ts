/**
 * The one table of AWS latencies the bench's projection (aws-projection.ts)
 * adds to what it measured locally: the local stack has no network between
 * its parts and no SNS queue, so these hops cannot be measured here. Each
 * line says where it comes from, and whether it is a published measurement
 * or an assumption; the projection prints the same sources.
 */

export interface HopLatency {
  p50Ms: number;
  p99Ms: number;
  /** Published (someone measured it) or assumed (no published figure was found). */
  kind: 'published' | 'assumed';
  source: string;
}

export const AWS_LATENCIES = {
  /**
   * From the producer's timestamp taken before Publish to the subscribed
   * Lambda reading the message: the Publish call is included.
   */
  snsToLambda: {
    p50Ms: 73,
    p99Ms: 225,
    kind: 'published',
    source:
      'SNS standard topic → async Lambda, eu-west-1, Sept 2022: https://bitesizedserverless.com/bite/serverless-messaging-latency-compared/',
  },
  /** One call from a Lambda in the table's Region. */
  dynamodbCall: {
    p50Ms: 3,
    p99Ms: 10,
    kind: 'assumed',
    source:
      'assumed from AWS\'s published claim of "single-digit millisecond performance at any scale" (https://aws.amazon.com/dynamodb/)',
  },
  /** The client's frame taken in by API Gateway, routed, and a warm request Lambda invoked; the client's own network time is not in it. */
  apiGatewayToLambda: {
    p50Ms: 20,
    p99Ms: 60,
    kind: 'assumed',
    source: 'assumed (tens of ms): no published latency of API Gateway WebSocket route → Lambda was found',
  },
  /** One PostToConnection from a Lambda in the API's Region until API Gateway writes the frame to the client's socket. */
  postToConnection: {
    p50Ms: 20,
    p99Ms: 60,
    kind: 'assumed',
    source: 'assumed (tens of ms): no published latency of the Management API PostToConnection was found',
  },
} as const satisfies Record<string, HopLatency>;

/**
 * Lambda gives a function CPU in proportion to its memory: "At 1,769 MB, a
 * function has the equivalent of one vCPU".
 */
export const LAMBDA_MB_PER_VCPU = 1769;
export const LAMBDA_CPU_SOURCE = 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html';
