/**
 * Condition expressions the store's writes share. Kept apart from the calls so
 * the rule each one enforces is stated once, next to its expression.
 */
import type { NodeRecord } from '#shared/core/model';

/** Only if the item does not exist yet. */
export function notExists() {
  return { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' } };
}

/**
 * The node Put of putNode must not undo a write made since the core read the
 * node: a new node (no item, or an item of an older epoch) is written as is;
 * the same node rebound to a new connection only if its seq is still the one
 * read, so a concurrent report's seq and status are never lost (every status
 * change allocates a seq). A lost race is ConditionFailed: read again, retry.
 */
export function unchangedSinceRead(node: NodeRecord) {
  return {
    ConditionExpression: 'attribute_not_exists(#pk) OR #epoch <> :epoch OR #seq = :seq',
    ExpressionAttributeNames: { '#pk': 'pk', '#epoch': 'epoch', '#seq': 'seq' },
    ExpressionAttributeValues: { ':epoch': node.epoch, ':seq': node.seq },
  };
}
