/**
 * Pulumi mocks for the infra tests: every resource the program declares is
 * recorded with its resolved inputs, and given the outputs AWS would compute
 * (ids, ARNs, the WebSocket API's endpoint and execution ARN, the schedule
 * rule's ARN), and the provider's partition and Region to the invokes that
 * ask for them.
 */
import * as pulumi from '@pulumi/pulumi';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const API_ID = 'abc123';
/** The id of the HTTPS endpoint's HTTP API. */
export const HTTP_API_ID = 'http456';

/** Whether a declared API Gateway resource belongs to the HTTPS endpoint's HTTP API, not the WebSocket API. */
export function ofHttpApi(resource: { id: string; inputs: Props }): boolean {
  return resource.inputs.apiId === HTTP_API_ID || resource.id === HTTP_API_ID;
}

/** A resource's inputs or state: whatever the program passed, which the tests read by path. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shapes are the AWS provider's, hundreds of them
export type Props = Record<string, any>;

export interface Declared {
  type: string;
  name: string;
  id: string;
  /** The inputs, secrets unwrapped. */
  inputs: Props;
  /** The inputs as the engine got them: a secret is `{ [SECRET_SIG]: SECRET_SIG_VALUE, value }`. */
  rawInputs: Props;
  state: Props;
}

/** How Pulumi's RPC layer marks a secret value (the "4dabf…" signature of its serializer). */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';
const SECRET_SIG_VALUE = '1b47061264138c4ac30d75fd1eb44270';

/** Whether a raw input value is a secret. */
export function isSecretInput(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Props)[SECRET_SIG] === SECRET_SIG_VALUE;
}

/** A raw input with every secret replaced by its value. */
function unwrapSecrets(value: unknown): unknown {
  if (isSecretInput(value)) return unwrapSecrets((value as Props).value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unwrapSecrets(inner)]));
  }
  return value;
}

function computed(type: string, name: string, inputs: Props): { id: string; state: Props } {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  switch (type) {
    case 'aws:apigatewayv2/api:Api':
      if (inputs.protocolType === 'HTTP') {
        return {
          id: HTTP_API_ID,
          state: {
            apiEndpoint: `https://${HTTP_API_ID}.execute-api.${REGION}.amazonaws.com`,
            executionArn: arn('execute-api', HTTP_API_ID),
            arn: `arn:aws:apigateway:${REGION}::/apis/${HTTP_API_ID}`,
          },
        };
      }
      return {
        id: API_ID,
        state: {
          apiEndpoint: `wss://${API_ID}.execute-api.${REGION}.amazonaws.com`,
          executionArn: arn('execute-api', API_ID),
          arn: `arn:aws:apigateway:${REGION}::/apis/${API_ID}`,
        },
      };
    case 'aws:lambda/function:Function': {
      const fnArn = arn('lambda', `function:${name}`);
      return {
        id: name,
        state: {
          name,
          arn: fnArn,
          invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${fnArn}/invocations`,
        },
      };
    }
    case 'aws:dynamodb/table:Table':
      return { id: name, state: { name, arn: arn('dynamodb', `table/${name}`) } };
    case 'aws:sns/topic:Topic':
      return { id: arn('sns', name), state: { name, arn: arn('sns', name) } };
    case 'aws:sqs/queue:Queue':
      return {
        id: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`,
        state: { name, arn: arn('sqs', name), url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}` },
      };
    case 'aws:cloudwatch/logGroup:LogGroup':
      return { id: inputs.name, state: { arn: arn('logs', `log-group:${inputs.name}`) } };
    case 'aws:iam/role:Role':
      return { id: name, state: { name, arn: `arn:aws:iam::${ACCOUNT}:role/${name}` } };
    case 'aws:cloudwatch/eventRule:EventRule':
      return { id: name, state: { name, arn: arn('events', `rule/${name}`) } };
    case 'aws:sns/topicSubscription:TopicSubscription':
      return { id: `${name}-sub`, state: { arn: arn('sns', `subscription/${name}`) } };
    default:
      return { id: `${name}-id`, state: {} };
  }
}

/** Installs the mocks; returns the list every declared custom resource is appended to. */
export async function installMocks(stack = 'dev'): Promise<Declared[]> {
  const declared: Declared[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = unwrapSecrets(args.inputs) as Props;
        const { id, state } = computed(args.type, args.name, inputs);
        const full = { ...inputs, ...state };
        declared.push({ type: args.type, name: args.name, id, inputs, rawInputs: args.inputs, state: full });
        return { id, state: full };
      },
      call(args) {
        if (args.token === 'aws:index/getPartition:getPartition')
          return { partition: 'aws', dnsSuffix: 'amazonaws.com' };
        if (args.token === 'aws:index/getRegion:getRegion') return { region: REGION, name: REGION, id: REGION };
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    'mesh',
    stack,
    false,
  );
  return declared;
}

/**
 * Resolves when every resource declared so far is registered with the mocks.
 * Pulumi registers resources asynchronously (after their inputs resolve); its
 * runtime tracks the outstanding calls, and waitForRPCs is how it waits for
 * them before the program exits.
 */
export async function settled(): Promise<void> {
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  if (typeof runtime.waitForRPCs !== 'function')
    throw new Error('@pulumi/pulumi no longer exposes runtime.waitForRPCs');
  await runtime.waitForRPCs();
}

/** The value of an Output, in tests. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}
