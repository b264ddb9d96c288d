/**
 * The line under the title: the connection's state, how many viewers watch
 * (this one included), when the last snapshot was taken, and the last
 * failure, if the last watch failed.
 */
import type { ConsoleGroup, MeshSnapshot } from '#shared/protocol/console';
import type { ConnectionState } from '../connection';
import { formatAge } from '../format';
import { h, setText } from './dom';

export class StatusBar {
  readonly element: HTMLElement;
  private readonly state = h('span', { class: 'state', 'data-testid': 'connection-state' }, 'connecting');
  private readonly viewers = h('span', { 'data-testid': 'viewer-count' }, '0');
  private readonly totals = h('span', { 'data-testid': 'mesh-totals' }, '');
  private readonly snapshotAge = h('span', {}, '—');
  private readonly failure = h('span', { class: 'failure', 'data-testid': 'failure' });
  private snapshotAt: string | null = null;

  constructor(wsUrl: string) {
    this.element = h(
      'p',
      { class: 'status-bar' },
      this.state,
      ` · ${wsUrl} · viewers: `,
      this.viewers,
      ' · ',
      this.totals,
      ' · snapshot: ',
      this.snapshotAge,
      ' ',
      this.failure,
    );
  }

  setState(state: ConnectionState, detail?: string): void {
    setText(this.state, detail ? `${state}: ${detail}` : state);
    this.state.setAttribute('data-state', state);
  }

  setSnapshot(snapshot: MeshSnapshot, nowMs: number): void {
    setText(this.viewers, String(snapshot.viewers));
    setText(this.totals, totalsOf(snapshot.groups));
    this.snapshotAt = snapshot.at;
    this.tick(nowMs);
  }

  /** The last failure; '' once a watch succeeds again. */
  setFailure(text: string): void {
    setText(this.failure, text);
  }

  tick(nowMs: number): void {
    setText(this.snapshotAge, formatAge(this.snapshotAt, nowMs));
  }
}

/** The whole mesh in a few words: domains, groups, nodes and how they are reached. */
export function totalsOf(groups: readonly ConsoleGroup[]): string {
  const domains = new Set(groups.map((group) => group.domain)).size;
  const nodes = groups.flatMap((group) => group.nodes);
  const connected = nodes.filter((node) => node.connected).length;
  const polling = nodes.filter((node) => node.transport === 'polling').length;
  const count = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  return `${count(domains, 'domain')}, ${count(groups.length, 'group')}, ${count(nodes.length, 'node')} (${connected} connected, ${polling} polling)`;
}
