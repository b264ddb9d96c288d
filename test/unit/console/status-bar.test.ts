/** The status line's summary of the whole mesh (console/view/status-bar.ts). */
import type { ConsoleGroup, ConsoleNode } from '#shared/protocol/console';
import { totalsOf } from '../../../console/view/status-bar';

const node = (nodeId: string, extra: Partial<ConsoleNode> = {}): ConsoleNode => ({
  nodeId,
  isHost: false,
  connected: true,
  transport: 'websocket',
  joinedAt: '2026-12-01T10:00:00.000Z',
  lastHeartbeatAt: '2026-12-01T10:00:00.000Z',
  expiresAt: '2026-12-01T10:25:00.000Z',
  statusKeys: 0,
  ...extra,
});

const group = (groupId: string, domain: string, nodes: ConsoleNode[]): ConsoleGroup => ({
  groupId,
  domain,
  name: groupId,
  hostId: nodes[0].nodeId,
  createdAt: '2026-12-01T10:00:00.000Z',
  expiresAt: '2026-12-01T10:25:00.000Z',
  heartbeatAt: '2026-12-01T10:00:00.000Z',
  pushes: 0,
  nodes,
});

describe('totalsOf', () => {
  it('counts domains, groups and nodes, and how the nodes are reached', () => {
    const groups = [
      group('g1', 'school-1', [node('h1', { isHost: true }), node('m1', { transport: 'polling' })]),
      group('g2', 'school-1', [node('h2', { isHost: true }), node('m2', { connected: false })]),
      group('g3', 'school-2', [node('h3', { isHost: true })]),
    ];

    expect(totalsOf(groups)).toBe('2 domains, 3 groups, 5 nodes (4 connected, 1 polling)');
  });

  it('says one in the singular, and an empty mesh is zero of everything', () => {
    expect(totalsOf([group('g1', 'school-1', [node('h1', { isHost: true })])])).toBe(
      '1 domain, 1 group, 1 node (1 connected, 0 polling)',
    );
    expect(totalsOf([])).toBe('0 domains, 0 groups, 0 nodes (0 connected, 0 polling)');
  });
});
