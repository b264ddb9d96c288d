/**
 * The opened group's panel: one row per member with its presence, its
 * current status (key = value), when that last changed and the events it
 * last fired. A busy group pushes many times a second, so pushes only mark
 * the panel stale and it is redrawn at most every REDRAW_MS.
 */
import { formatAge } from '../format';
import type { MemberStatus, StatusBoard } from '../status-board';
import { h, setText } from './dom';

const REDRAW_MS = 150;

export interface MembersViewOptions {
  onClose: () => void;
  /** The server's time now, for the ages. */
  now: () => number;
}

export class MembersView {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly note: HTMLElement;
  private readonly rows: HTMLTableSectionElement;
  private board: StatusBoard | null = null;
  private redrawTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: MembersViewOptions) {
    this.title = h('h2');
    this.note = h('p', { class: 'note' });
    const close = h('button', { type: 'button', class: 'close' }, 'Close');
    close.addEventListener('click', () => options.onClose());
    const head = ['Node', 'Presence', 'Status', 'Updated', 'Last events'];
    this.rows = h('tbody');
    this.element = h(
      'section',
      { class: 'opened-group', 'data-testid': 'opened-group' },
      h('div', { class: 'panel-head' }, this.title, close),
      this.note,
      h('table', { class: 'members' }, h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))), this.rows),
    );
    this.element.hidden = true;
  }

  /** Shows a board (a group just opened), or hides the panel for null. */
  show(board: StatusBoard | null, name = ''): void {
    this.board = board;
    this.element.hidden = board === null;
    if (board === null) {
      this.element.removeAttribute('data-group-id');
      this.rows.replaceChildren();
      return;
    }
    this.element.setAttribute('data-group-id', board.group.groupId);
    this.element.setAttribute('data-domain', board.group.domain);
    setText(this.title, `${name || board.group.groupId} · ${board.group.domain}`);
    this.redraw();
  }

  /** Something on the board changed: redraw soon. */
  invalidate(): void {
    if (this.redrawTimer !== undefined) return;
    this.redrawTimer = setTimeout(() => {
      this.redrawTimer = undefined;
      this.redraw();
    }, REDRAW_MS);
  }

  /** A line under the title (the group dissolved, the watch failed); '' clears it. */
  setNote(text: string): void {
    setText(this.note, text);
    this.note.hidden = text === '';
  }

  redraw(): void {
    const board = this.board;
    if (board === null) return;
    const now = this.options.now();
    this.rows.replaceChildren(...board.list().map((member) => statusRow(member, now)));
    if (board.dissolved !== null) this.setNote(`Dissolved: ${board.dissolved}`);
  }
}

function statusRow(member: MemberStatus, nowMs: number): HTMLElement {
  const entries = Object.entries(member.values).sort(([a], [b]) => a.localeCompare(b));
  const status = entries.length
    ? entries.map(([key, value]) => h('span', { class: 'kv', 'data-key': key }, h('b', {}, key), ' = ', value))
    : [h('span', { class: 'muted' }, 'no status yet')];
  const events = member.lastEvents.length
    ? `${member.lastEvents.join(', ')} (${formatAge(member.lastEventsAt, nowMs)})`
    : '';
  const presence =
    member.presence === 'present' ? 'present' : `${member.presence} ${formatAge(member.presenceAt, nowMs)}`;
  return h(
    'tr',
    {
      'data-testid': 'status-row',
      'data-node-id': member.nodeId,
      'data-presence': member.presence,
      class: member.presence === 'present' ? '' : 'departed',
    },
    h('td', {}, member.nodeId),
    h('td', {}, presence),
    h('td', { class: 'status' }, ...status),
    h('td', {}, formatAge(member.updatedAt, nowMs)),
    h('td', {}, events),
  );
}
