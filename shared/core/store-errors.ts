/**
 * What the ports (ports.ts) throw when a write cannot happen as asked. They
 * are not mesh errors: a use case catches them and decides what the client
 * hears (a retry, GroupNotFound, Unauthorized...).
 */

/** Thrown by a store when a conditional write lost a race; the use case decides what it means. */
export class ConditionFailed extends Error {
  override name = 'ConditionFailed';
}

/**
 * Thrown by a port when the store refused a write as a whole (DynamoDB's
 * throttling): none of it happened, so what it was to record may be undone
 * or done again without a trace.
 */
export class WriteNotApplied extends Error {
  override name = 'WriteNotApplied';
}

/** Thrown by GroupLog.append when the group was dissolved: nothing more is appended to its log. */
export class GroupDissolved extends Error {
  override name = 'GroupDissolved';
}
