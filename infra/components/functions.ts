/**
 * One Lambda function per handler, each with its own log group (with
 * retention) and its own role whose only policy is the function's part of
 * the IAM contract (infra/iam.ts).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { FunctionName, FunctionSize } from '../config';
import { contractStatements, type ContractResources } from '../iam';
// Relative, not '#shared/...': Pulumi's TypeScript loader does not read tsconfig paths.
import { FUNCTIONS } from '../../shared/topology';

/** The Lambda runtime and architecture every function runs on. */
export const LAMBDA_RUNTIME = 'nodejs22.x';
export const LAMBDA_ARCHITECTURE = 'arm64';

export interface MeshFunctionArgs {
  /** Which handler: names the bundle, the log group and the IAM statements. */
  fn: FunctionName;
  /** The bundle: a folder holding index.js (exports `handler`) and its source map. */
  code: pulumi.asset.Archive;
  /** Memory (MB) and timeout (s). */
  size: FunctionSize;
  /** Environment variables (MESH_*, POWERTOOLS_*), the same for every function. */
  environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Retention of the function's log group. */
  logRetentionDays: number;
  /** The ARNs the function's statements are scoped to. */
  resources: Omit<ContractResources, 'logGroupArn'>;
}

export class MeshFunction extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;

  constructor(name: string, args: MeshFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mesh:lambda:Function', name, {}, opts);

    // Created here rather than by Lambda on first write, so that it has a
    // retention and the role needs no logs:CreateLogGroup.
    this.logGroup = new aws.cloudwatch.LogGroup(
      name,
      { name: `/mesh/${pulumi.getStack()}/lambda/${args.fn}`, retentionInDays: args.logRetentionDays },
      { parent: this },
    );

    this.role = new aws.iam.Role(
      name,
      {
        description: `Mesh ${args.fn} function: exactly its part of the IAM contract`,
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      },
      { parent: this },
    );

    const statements = contractStatements(args.fn, { ...args.resources, logGroupArn: this.logGroup.arn });
    const policy = new aws.iam.RolePolicy(
      name,
      {
        role: this.role.id,
        policy: pulumi.jsonStringify({ Version: '2012-10-17', Statement: statements }),
      },
      { parent: this },
    );

    this.function = new aws.lambda.Function(
      name,
      {
        description: `Mesh ${args.fn} handler (${FUNCTIONS[args.fn].entry})`,
        runtime: LAMBDA_RUNTIME,
        architectures: [LAMBDA_ARCHITECTURE],
        handler: 'index.handler',
        code: args.code,
        role: this.role.arn,
        memorySize: args.size.memoryMb,
        timeout: args.size.timeoutSeconds,
        environment: { variables: args.environment },
        loggingConfig: { logFormat: 'JSON', logGroup: this.logGroup.name },
      },
      // The policy first: a function invoked before its role can write logs loses its first lines.
      { parent: this, dependsOn: [policy] },
    );

    this.registerOutputs({ name: this.function.name, arn: this.function.arn });
  }
}
