/**
 * The sweeper's schedule. A group's flush can die (its invocation timed out or
 * failed for good) or its flush request can be lost; a new push to the group
 * takes the stale flush over, but a group that has gone quiet gets no new
 * push. The sweep function, run by an EventBridge rule every few minutes,
 * finds such groups in the byPending index and requests their flush again.
 *
 *   rule        rate(N minutes) on the account's default event bus
 *   permission  EventBridge may invoke the function, from this rule only
 *   target      the rule invokes the function (asynchronously)
 *   invoke      no retries of a failed or late run: the next run does its work
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { MeshFunction } from './functions';

export interface SweepScheduleArgs {
  /** The sweep function. */
  sweeper: MeshFunction;
  /** Minutes between two runs; a positive integer (EventBridge's finest rate is one minute). */
  intervalMinutes: number;
}

/** `rate(1 minute)`, `rate(5 minutes)`: EventBridge wants the singular for 1. */
export function rateExpression(minutes: number): string {
  return `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`;
}

/** A run not started within one interval is dropped (Lambda accepts 60 s to 6 h). */
function eventAgeSeconds(intervalMinutes: number): number {
  return Math.min(6 * 3600, Math.max(60, intervalMinutes * 60));
}

export class SweepSchedule extends pulumi.ComponentResource {
  readonly rule: aws.cloudwatch.EventRule;

  constructor(name: string, args: SweepScheduleArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mesh:sweep:Schedule', name, {}, opts);
    const fn = args.sweeper.function;

    this.rule = new aws.cloudwatch.EventRule(
      name,
      {
        description: 'Mesh sweeper: restart the flushes of groups whose flush died',
        scheduleExpression: rateExpression(args.intervalMinutes),
      },
      { parent: this },
    );

    const permission = new aws.lambda.Permission(
      name,
      {
        action: 'lambda:InvokeFunction',
        function: fn.name,
        principal: 'events.amazonaws.com',
        sourceArn: this.rule.arn,
      },
      { parent: this },
    );

    // The permission first: a run the rule cannot deliver is only retried by EventBridge.
    new aws.cloudwatch.EventTarget(
      name,
      { rule: this.rule.name, arn: fn.arn },
      { parent: this, dependsOn: [permission] },
    );

    // Lambda would retry a failed run twice and keep a throttled one for up to
    // six hours; the next run, minutes later, sweeps the same groups anyway.
    // A failed run still counts in the function's Errors alarm.
    new aws.lambda.FunctionEventInvokeConfig(
      name,
      {
        functionName: fn.name,
        maximumRetryAttempts: 0,
        maximumEventAgeInSeconds: eventAgeSeconds(args.intervalMinutes),
      },
      { parent: this },
    );

    this.registerOutputs({ ruleArn: this.rule.arn });
  }
}
