/**
 * The groups table: one row per live group (name, domain, host, members,
 * pushes, age, heartbeat, time to expiry, its rate chart) with its nodes
 * under it. Each watchMesh answer replaces the table's content, but rows are
 * kept by group, so a group's chart lives on from one answer to the next;
 * the times in it are redrawn every second from the last answer.
 */
import type { ConsoleGroup, ConsoleNode } from '#shared/protocol/console';
import { type Chart, createRateChart } from '../charts';
import { formatAge, formatUntil } from '../format';
import { type GroupRates, groupKeyOf } from '../rates';
import { h, setText } from './dom';

const COLUMNS = ['Group', 'Domain', 'Host', 'Members', 'Pushes', 'Age', 'Heartbeat', 'Expires', 'Pushes/s · frames/s'];

/** A time cell redrawn every second: how long ago, or how long until, its date. */
interface TimeCell {
  cell: HTMLElement;
  iso: string;
  kind: 'age' | 'until';
}

interface GroupEntry {
  /** The last answer's group. */
  group: ConsoleGroup;
  body: HTMLTableSectionElement;
  row: HTMLTableRowElement;
  cells: Record<'name' | 'domain' | 'host' | 'members' | 'pushes', HTMLElement>;
  nodesCell: HTMLTableCellElement;
  times: TimeCell[];
  nodeTimes: TimeCell[];
  chart: Chart<GroupRates>;
  /** The recent rates in words, beside the chart (and what a test reads). */
  rateNote: HTMLElement;
}

/** How many of the last seconds the rate note sums. */
const RECENT_SECONDS = 10;

export interface GroupsViewOptions {
  onOpen: (group: ConsoleGroup) => void;
}

export class GroupsView {
  readonly element: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly empty: HTMLElement;
  private readonly entries = new Map<string, GroupEntry>();
  private opened: string | null = null;

  constructor(private readonly options: GroupsViewOptions) {
    this.table = h('table', { class: 'groups' }, h('thead', {}, h('tr', {}, ...COLUMNS.map((c) => h('th', {}, c)))));
    this.empty = h('p', { class: 'muted' }, 'No live groups.');
    this.element = h('div', { class: 'groups-view' }, this.table, this.empty);
  }

  /** A watchMesh answer's groups, in its order (newest first). */
  update(groups: readonly ConsoleGroup[], nowMs: number): void {
    const keep = new Set(groups.map(groupKeyOf));
    for (const [key, entry] of this.entries) {
      if (keep.has(key)) continue;
      entry.chart.destroy();
      entry.body.remove();
      this.entries.delete(key);
    }
    for (const group of groups) {
      const entry = this.entries.get(groupKeyOf(group)) ?? this.add(group);
      this.fill(entry, group);
      this.table.append(entry.body); // Moves an existing row into the answer's order.
    }
    this.empty.hidden = groups.length > 0;
    this.tick(nowMs);
  }

  /** Redraws every age and time to expiry for `nowMs` (server time). */
  tick(nowMs: number): void {
    for (const entry of this.entries.values()) {
      for (const time of [...entry.times, ...entry.nodeTimes]) {
        setText(time.cell, time.kind === 'age' ? formatAge(time.iso, nowMs) : formatUntil(time.iso, nowMs));
      }
    }
  }

  /** Redraws each group's chart from its rates. */
  plot(ratesOf: (groupKey: string) => GroupRates): void {
    for (const [key, entry] of this.entries) {
      const rates = ratesOf(key);
      entry.chart.update(rates);
      const pushes = recentSum(rates.pushes);
      const frames = recentSum(rates.frames);
      entry.rateNote.setAttribute('data-pushes', String(pushes));
      entry.rateNote.setAttribute('data-frames', String(frames));
      setText(entry.rateNote, `last ${RECENT_SECONDS} s: ${pushes} pushes, ${frames} frames`);
    }
  }

  /** Marks the group whose members are shown, or none. */
  setOpened(groupKey: string | null): void {
    this.opened = groupKey;
    for (const [key, entry] of this.entries) entry.row.classList.toggle('opened', key === groupKey);
  }

  private add(group: ConsoleGroup): GroupEntry {
    const key = groupKeyOf(group);
    const cells = {
      name: h('td', { class: 'name' }),
      domain: h('td'),
      host: h('td'),
      members: h('td', { class: 'num' }),
      pushes: h('td', { class: 'num' }),
    };
    const [age, heartbeat, expires] = [h('td'), h('td'), h('td')];
    const chartBox = h('div', { class: 'rate-box', 'data-testid': 'group-rate-chart', 'data-group-id': group.groupId });
    const rateNote = h('div', { class: 'note rate-note', 'data-testid': 'group-rate', 'data-group-id': group.groupId });
    const row = h(
      'tr',
      { class: 'group-row', 'data-testid': 'group-row', 'data-group-id': group.groupId, 'data-domain': group.domain },
      cells.name,
      cells.domain,
      cells.host,
      cells.members,
      cells.pushes,
      age,
      heartbeat,
      expires,
      h('td', { class: 'chart-cell' }, chartBox, rateNote),
    );
    row.title = 'Show its members';
    const nodesCell = h('td', { colspan: String(COLUMNS.length) });
    const body = h('tbody', {}, row, h('tr', { class: 'nodes-row' }, nodesCell));
    // The chart measures its box, so the box is in the page before the chart is made.
    this.table.append(body);
    const entry: GroupEntry = {
      group,
      body,
      row,
      cells,
      nodesCell,
      times: [
        { cell: age, iso: group.createdAt, kind: 'age' },
        { cell: heartbeat, iso: group.heartbeatAt, kind: 'age' },
        { cell: expires, iso: group.expiresAt, kind: 'until' },
      ],
      nodeTimes: [],
      chart: createRateChart(chartBox),
      rateNote,
    };
    row.addEventListener('click', () => this.options.onOpen(entry.group));
    row.classList.toggle('opened', key === this.opened);
    this.entries.set(key, entry);
    return entry;
  }

  private fill(entry: GroupEntry, group: ConsoleGroup): void {
    entry.group = group;
    const connected = group.nodes.filter((node) => node.connected).length;
    setText(entry.cells.name, group.name);
    setText(entry.cells.domain, group.domain);
    setText(entry.cells.host, group.hostId);
    setText(entry.cells.members, `${group.nodes.length} (${connected} connected)`);
    setText(entry.cells.pushes, String(group.pushes));
    entry.times[0].iso = group.createdAt;
    entry.times[1].iso = group.heartbeatAt;
    entry.times[2].iso = group.expiresAt;
    const { table, times } = nodesTable(group.nodes);
    entry.nodesCell.replaceChildren(table);
    entry.nodeTimes = times;
  }
}

/** The sum of a series' last RECENT_SECONDS buckets. */
function recentSum(series: readonly number[]): number {
  return series.slice(-RECENT_SECONDS).reduce((sum, n) => sum + n, 0);
}

/** A group's nodes: host first, then by id. */
function nodesTable(nodes: readonly ConsoleNode[]): { table: HTMLElement; times: TimeCell[] } {
  const times: TimeCell[] = [];
  const sorted = [...nodes].sort((a, b) => Number(b.isHost) - Number(a.isHost) || a.nodeId.localeCompare(b.nodeId));
  const rows = sorted.map((node) => {
    const heartbeat = h('td');
    const joined = h('td');
    const expires = h('td');
    times.push(
      { cell: heartbeat, iso: node.lastHeartbeatAt, kind: 'age' },
      { cell: joined, iso: node.joinedAt, kind: 'age' },
      { cell: expires, iso: node.expiresAt, kind: 'until' },
    );
    return h(
      'tr',
      {
        'data-testid': 'node-row',
        'data-node-id': node.nodeId,
        'data-connected': String(node.connected),
        'data-transport': node.transport,
        class: node.connected ? 'connected' : 'disconnected',
      },
      h('td', {}, node.nodeId, node.isHost ? h('span', { class: 'badge' }, 'host') : null),
      h('td', { class: 'state' }, node.connected ? 'connected' : 'not connected'),
      h('td', {}, node.transport),
      heartbeat,
      joined,
      expires,
      h('td', { class: 'num' }, String(node.statusKeys)),
    );
  });
  const head = ['Node', 'Connection', 'Transport', 'Last heartbeat', 'Joined', 'Expires', 'Status keys'];
  const table = h(
    'table',
    { class: 'nodes' },
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rows),
  );
  return { table, times };
}
