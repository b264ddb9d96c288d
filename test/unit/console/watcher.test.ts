/** The console's leases (console/watcher.ts): what it sends, when, and where the answers go. */
import { WATCH_RENEW_SECONDS, type MeshSnapshot } from '#shared/protocol/console';
import { ConsoleRequestError } from '../../../console/connection';
import { MeshWatcher, type RequestChannel } from '../../../console/watcher';

const SNAPSHOT: MeshSnapshot = { at: '2026-03-02T10:00:00.000Z', groups: [], viewers: 1, leaseSeconds: 30 };

/** A channel that records each request and answers it at once, or with the error set for its action. */
function fakeChannel() {
  const sent: { action: string; args: object }[] = [];
  const failures = new Map<string, ConsoleRequestError>();
  const channel: RequestChannel = {
    request: <T>(action: string, args: object) => {
      sent.push({ action, args });
      const failure = failures.get(action);
      if (failure) return Promise.reject(failure);
      return Promise.resolve((action === 'watchMesh' ? SNAPSHOT : []) as T);
    },
    sendOnly: (action, args) => sent.push({ action, args }),
  };
  return { channel, sent, failures };
}

function watching() {
  const { channel, sent, failures } = fakeChannel();
  const seen: string[] = [];
  const watcher = new MeshWatcher({
    channel,
    adminToken: 'tok',
    onSnapshot: (snapshot) => seen.push(`snapshot ${snapshot.viewers}`),
    onGroupStatuses: (group, statuses) => seen.push(`statuses ${group.groupId} ${statuses.length}`),
    onFailure: (action, error) => seen.push(`failed ${action} ${error.errorType}`),
  });
  return { watcher, sent, failures, seen };
}

const actions = (sent: { action: string }[]) => sent.map((request) => request.action);

describe('MeshWatcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('watches the mesh at once and then every WATCH_RENEW_SECONDS, with the admin token', async () => {
    const { watcher, sent, seen } = watching();

    watcher.restart();
    await jest.advanceTimersByTimeAsync(WATCH_RENEW_SECONDS * 1000 * 2);

    expect(sent).toEqual([
      { action: 'watchMesh', args: { adminToken: 'tok' } },
      { action: 'watchMesh', args: { adminToken: 'tok' } },
      { action: 'watchMesh', args: { adminToken: 'tok' } },
    ]);
    expect(seen).toEqual(['snapshot 1', 'snapshot 1', 'snapshot 1']);
    watcher.stop();
  });

  it('starts the period afresh on every open, so a reconnect does not renew twice', async () => {
    const { watcher, sent } = watching();
    watcher.restart();
    await jest.advanceTimersByTimeAsync(WATCH_RENEW_SECONDS * 1000 - 1000);

    watcher.restart();
    await jest.advanceTimersByTimeAsync(WATCH_RENEW_SECONDS * 1000 - 1000);

    expect(actions(sent)).toEqual(['watchMesh', 'watchMesh']);
    watcher.stop();
  });

  it('watches an opened group at once and renews it with the mesh until it is closed', async () => {
    const { watcher, sent, seen } = watching();
    watcher.restart();

    watcher.openGroup({ groupId: 'g1', domain: 'school-1' });
    await jest.advanceTimersByTimeAsync(WATCH_RENEW_SECONDS * 1000);
    watcher.closeGroup();
    await jest.advanceTimersByTimeAsync(WATCH_RENEW_SECONDS * 1000);

    expect(actions(sent)).toEqual(['watchMesh', 'watchGroup', 'watchMesh', 'watchGroup', 'watchMesh']);
    expect(sent[1].args).toEqual({ adminToken: 'tok', groupId: 'g1', domain: 'school-1' });
    expect(seen).toContain('statuses g1 0');
    watcher.stop();
  });

  it('hands on a failed watch with its error type', async () => {
    const { watcher, failures, seen } = watching();
    failures.set('watchMesh', new ConsoleRequestError('Unauthorized', 'wrong admin token'));

    watcher.restart();
    await jest.advanceTimersByTimeAsync(0);

    expect(seen).toEqual(['failed watchMesh Unauthorized']);
    watcher.stop();
  });

  it('says it is leaving with unwatchMesh, and renews no more', async () => {
    const { watcher, sent } = watching();
    watcher.restart();

    watcher.stop();
    await jest.advanceTimersByTimeAsync(WATCH_RENEW_SECONDS * 1000 * 3);

    expect(sent).toEqual([
      { action: 'watchMesh', args: { adminToken: 'tok' } },
      { action: 'unwatchMesh', args: { adminToken: 'tok' } },
    ]);
  });
});
