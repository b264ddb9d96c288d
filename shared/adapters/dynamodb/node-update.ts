/**
 * The hot path's one write (MeshStore.updateNode) as an UpdateItem input:
 * status keys merged as map paths, seqs allocated by ADD, and every check the
 * request needs in its condition, so no read precedes it. Returns the whole
 * node (ALL_NEW): its epoch and last seq order the push. Beside it, the one
 * write that takes back what it allocated (MeshStore.releaseSeqs).
 */
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { GroupKey } from '#shared/core/model';
import type { NodeChange, SeqRange } from '#shared/core/ports';
import { nodeKey } from './keys';
import { storedStatusKey } from './status-map';

export function nodeUpdateInput(
  table: string,
  key: GroupKey,
  nodeId: string,
  connectionId: string,
  change: NodeChange,
): UpdateCommandInput {
  const names: Record<string, string> = { '#pk': 'pk', '#cid': 'connectionId', '#seq': 'seq', '#exp': 'expiresAt' };
  const values: Record<string, unknown> = { ':cid': connectionId, ':n': change.seqCount, ':now': change.now };
  const sets: string[] = [];
  const conditions = ['attribute_exists(#pk)', '#cid = :cid', '#exp >= :now'];
  const entries = Object.entries(change.data ?? {});
  if (entries.length > 0) {
    names['#data'] = 'data';
    entries.forEach(([statusKey, value], i) => {
      names[`#${i}`] = storedStatusKey(statusKey);
      values[`:${i}`] = value;
      sets.push(`#data.#${i}=:${i}`);
    });
  }
  if (change.statusAt !== undefined) {
    names['#statusAt'] = 'statusAt';
    values[':statusAt'] = change.statusAt;
    sets.push('#statusAt=:statusAt');
  }
  const bound = change.statusBytes;
  if (bound !== undefined) {
    names['#sb'] = 'statusBytes';
    if ('grow' in bound) {
      // A node without the attribute fails the comparison: the caller's exact check sets it.
      values[':grow'] = bound.grow;
      values[':room'] = bound.limit - bound.grow;
      sets.push('#sb=#sb+:grow');
      conditions.push('#sb <= :room');
    } else {
      values[':exact'] = bound.exact;
      values[':ifSeq'] = bound.ifSeq;
      sets.push('#sb=:exact');
      conditions.push('#seq = :ifSeq');
    }
  }
  return {
    TableName: table,
    Key: nodeKey(key, nodeId),
    UpdateExpression: `${sets.length > 0 ? `SET ${sets.join(',')} ` : ''}ADD #seq :n`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValues: 'ALL_NEW',
  };
}

/**
 * releaseSeqs: the node's seq back by `count`, only while it is still `seq`
 * and the node is bound to the caller (else ConditionFailed, and the store
 * leaves the node as it is).
 */
export function seqReleaseInput(
  table: string,
  key: GroupKey,
  nodeId: string,
  connectionId: string,
  seqs: SeqRange,
): UpdateCommandInput {
  return {
    TableName: table,
    Key: nodeKey(key, nodeId),
    UpdateExpression: 'SET #seq = :released',
    ConditionExpression: '#seq = :seq AND #connectionId = :connectionId',
    ExpressionAttributeNames: { '#seq': 'seq', '#connectionId': 'connectionId' },
    ExpressionAttributeValues: { ':seq': seqs.seq, ':released': seqs.seq - seqs.count, ':connectionId': connectionId },
  };
}
