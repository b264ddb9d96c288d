/**
 * The one price table the cost model reads. Every price is US dollars, region
 * us-east-1, on-demand, without free tier, and names where it comes from.
 * Update a line here and both `npm run cost` and the bench's summary follow.
 */

export interface Price {
  /** US dollars per `per` units. */
  usd: number;
  per: number;
  unit: string;
  source: string;
}

const MILLION = 1_000_000;

export const PRICES = {
  apiGatewayMessage: {
    usd: 1.0,
    per: MILLION,
    unit: 'WebSocket messages (sent or received, each counted in 32 KB units)',
    source: 'https://aws.amazon.com/api-gateway/pricing/ (WebSocket APIs, first 1 billion)',
  },
  httpApiRequest: {
    usd: 1.0,
    per: MILLION,
    unit: 'HTTP API requests (each metered in 512 KB increments; first 300 million a month)',
    source: 'https://aws.amazon.com/api-gateway/pricing/ (HTTP APIs, first 300 million)',
  },
  apiGatewayConnectionMinute: {
    usd: 0.25,
    per: MILLION,
    unit: 'connection-minutes',
    source: 'https://aws.amazon.com/api-gateway/pricing/ (WebSocket APIs)',
  },
  lambdaRequest: {
    usd: 0.2,
    per: MILLION,
    unit: 'Lambda invocations',
    source: 'https://aws.amazon.com/lambda/pricing/ (requests, all architectures), as published 2025',
  },
  lambdaGbSecondArm64: {
    usd: 0.0000133334,
    per: 1,
    unit: 'GB-seconds on arm64 (first 7.5 billion GB-s per month)',
    source: 'https://aws.amazon.com/lambda/pricing/ (Arm price, tier 1), as published 2025',
  },
  snsPublish: {
    usd: 0.5,
    per: MILLION,
    unit: 'SNS publish API requests (each 64 KB chunk; a PublishBatch call is one request per 64 KB); deliveries to Lambda are free',
    source: 'https://aws.amazon.com/sns/pricing/ (standard topics)',
  },
  dynamodbWriteUnit: {
    usd: 0.625,
    per: MILLION,
    unit: 'on-demand write request units (1 WRU = write of ≤ 1 KB; transactional = 2)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (Nov 2024 price cut)',
  },
  dynamodbReadUnit: {
    usd: 0.125,
    per: MILLION,
    unit: 'on-demand read request units (1 RRU = strongly consistent read of ≤ 4 KB)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (Nov 2024 price cut)',
  },
  appsyncOperation: {
    usd: 4.0,
    per: MILLION,
    unit: 'AppSync query and data-modification operations (each query or mutation)',
    source: 'https://aws.amazon.com/appsync/pricing/ (GraphQL APIs), as published 2025',
  },
  appsyncRealtimeUpdate: {
    usd: 2.0,
    per: MILLION,
    unit: 'AppSync real-time updates (each message delivered to each subscriber, 5 KB units)',
    source: 'https://aws.amazon.com/appsync/pricing/ (GraphQL APIs), as published 2025',
  },
  appsyncConnectionMinute: {
    usd: 0.08,
    per: MILLION,
    unit: 'AppSync real-time connection-minutes',
    source: 'https://aws.amazon.com/appsync/pricing/ (GraphQL APIs), as published 2025',
  },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;

/** Dollars for `quantity` units of one price. */
export function priceOf(name: PriceName, quantity: number): number {
  const price: Price = PRICES[name];
  return (quantity / price.per) * price.usd;
}

/**
 * Lambda memory sizes used when pricing GB-seconds: the Pulumi program's
 * defaults (infra/config.ts, CONFIG_DEFAULTS), read at run time by
 * `lambdaMemoryMb()`; this copy is the fallback when that module cannot load.
 */
export const DEFAULT_LAMBDA_MEMORY_MB: Record<string, number> = {
  connect: 256,
  disconnect: 256,
  request: 512,
  fanout: 512,
};

/** Memory (MB) per function, from the Pulumi program's defaults. */
export async function lambdaMemoryMb(): Promise<Record<string, number>> {
  try {
    const { CONFIG_DEFAULTS, FUNCTION_NAMES } = await import('../infra/config');
    return Object.fromEntries(FUNCTION_NAMES.map((name) => [name, CONFIG_DEFAULTS[name].memoryMb]));
  } catch {
    return { ...DEFAULT_LAMBDA_MEMORY_MB };
  }
}

/**
 * Request units per DynamoDB call, estimated from the item sizes the mesh
 * writes and reads (see docs/performance.md, "Cost model"): a node item with a
 * few status keys is well under 1 KB; the hot path's BatchGetItem reads two
 * items (META and the node); the fan-out Query reads one small C# item
 * (~150 bytes) per subscriber, summed and rounded up to 4 KB.
 */
export const DYNAMODB_UNITS_PER_CALL = {
  read: {
    GetItem: () => 1,
    BatchGetItem: () => 2,
    Query: (membersPerGroup: number) => Math.max(1, Math.ceil((membersPerGroup * 150) / 4096)),
    Scan: (membersPerGroup: number) => Math.max(1, Math.ceil((membersPerGroup * 150) / 4096)),
  },
  write: {
    /** On the hot path the only Put is a sealed log page: FLUSH_LIMITS.sealBytes (2 KB) of pushes, 2 WRU. */
    PutItem: () => 2,
    /**
     * DynamoDB bills an update on the larger of the item's sizes before and
     * after. Per message the hot path makes one node update (an item under
     * 1 KB: 1 WRU) and one log append, and its share of the flush's claim and
     * advance (about one more, measured): those are billed on the log head,
     * which keeps posted pushes until they fill FLUSH_LIMITS.sealBytes (2 KB)
     * and are sealed, so it averages ~1.5 KB (2 WRU). (1 + 2 × 2) / 3 ≈ 1.7,
     * counted as 2.
     */
    UpdateItem: () => 2,
    DeleteItem: () => 1,
    /** A batch of 25 at most; the mesh's batches (leave, dissolve) hold a few items. */
    BatchWriteItem: () => 4,
    /** Two items (node + connection rows), each billed twice in a transaction. */
    TransactWriteItems: () => 4,
  },
} as const;

/**
 * What Mesh v2 (AppSync + DynamoDB) does per message, read from its resolvers
 * (smalruby/mesh-v2, lib/mesh-v2-stack.ts): reportDataByNode is a pipeline of
 * checkGroupExists (one GetItem) and a PutItem of the node status;
 * fireEventsByNode is checkGroupExists then a None data source (no write).
 * Every subscriber of the group, the sender included, receives each message.
 */
export const MESH_V2_DYNAMODB_PER_MESSAGE = {
  status: { readUnits: 1, writeUnits: 1 },
  eventBatch: { readUnits: 1, writeUnits: 0 },
} as const;

/**
 * What Mesh v2 does per request of a polling node, read from its source
 * (smalruby/mesh-v2): getEventsSince is one Query of the group's event items
 * (js/resolvers/Query.getEventsSince.js); recordEventsByNode is a Lambda
 * resolver (lib/mesh-v2-stack.ts) that reads the group (find_group, one
 * GetItem) and writes one item per event with BatchWriteItem
 * (lambda/repositories/dynamodb_repository.rb, record_events; items well
 * under 1 KB: 1 WRU each); reportDataByNode is checkGroupExists (GetItem) and
 * a PutItem (as MESH_V2_DYNAMODB_PER_MESSAGE.status); sendMemberHeartbeat is
 * checkGroupExists and updateNodeTTL, an UpdateItem (lib/mesh-v2-stack.ts,
 * js/functions/updateNodeTTL.js). The Query reads the events a poll answers:
 * 1 RRU per 4 KB of them, at least 1.
 */
export const MESH_V2_POLLING = {
  poll: { readUnitsPer4Kb: 1, minReadUnits: 1 },
  recordEvents: { readUnits: 1, writeUnitsPerEvent: 1, lambdaInvocations: 1 },
  status: MESH_V2_DYNAMODB_PER_MESSAGE.status,
  memberHeartbeat: { readUnits: 1, writeUnits: 1 },
} as const;
