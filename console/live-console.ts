/**
 * The running console: one connection, the watcher renewing its leases, and
 * where each answer and push goes. watchMesh answers replace the groups
 * table; console-log pushes (one MeshRound per fan-out round) feed the rate
 * buckets, plotted once a second; the opened group's pushes feed its status
 * board. The views only draw what they are handed.
 */
import type { ConsoleGroup, MeshSnapshot } from '#shared/protocol/console';
import type { Push } from '#shared/protocol/messages';
import type { NodeStatus } from '#shared/protocol/types';
import { type Chart, createLatencyChart } from './charts';
import { ConsoleConnection, type ConsoleRequestError } from './connection';
import { isConsolePush, PositionFilter, roundOf } from './mesh-rounds';
import type { ConsoleParams } from './params';
import { groupKeyOf, type LatencySeries, RoundBuckets } from './rates';
import { ServerClock } from './server-clock';
import { pollStats } from './stack-stats';
import { StatusBoard } from './status-board';
import { CountersView } from './view/counters';
import { h } from './view/dom';
import { GroupsView } from './view/groups';
import { MembersView } from './view/members';
import { StatusBar } from './view/status-bar';
import { type GroupRef, MeshWatcher } from './watcher';

/** How often the charts and the ages are redrawn. */
const TICK_MS = 1000;
/** How soon after a round or a snapshot arrives the charts are redrawn, ahead of the tick (at most this often). */
const PROMPT_REDRAW_MS = 150;

export interface LiveConsoleOptions {
  params: ConsoleParams;
  /** The token was refused: the page asks for another. */
  onUnauthorized: (message: string) => void;
}

export class LiveConsole {
  private readonly clock = new ServerClock();
  private readonly buckets = new RoundBuckets();
  private readonly positions = new PositionFilter();
  private readonly connection: ConsoleConnection;
  private readonly watcher: MeshWatcher;
  private readonly statusBar: StatusBar;
  private readonly counters: CountersView;
  private readonly groups: GroupsView;
  private readonly members: MembersView;
  private readonly latencyBox = h('div', { class: 'latency-box', 'data-testid': 'latency-chart' });
  private board: StatusBoard | null = null;
  private stopStats: () => void = () => undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private promptRedraw: ReturnType<typeof setTimeout> | undefined;
  /** Made once the page is in the document (a chart measures its box). */
  private latency: Chart<LatencySeries> | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly options: LiveConsoleOptions,
  ) {
    const { params } = options;
    this.statusBar = new StatusBar(params.wsUrl);
    this.counters = new CountersView(params.statsUrl !== undefined);
    this.groups = new GroupsView({ onOpen: (group) => this.openGroup(group) });
    this.members = new MembersView({ onClose: () => this.closeGroup(), now: () => this.clock.now() });
    this.connection = new ConsoleConnection({
      url: params.wsUrl,
      onOpen: () => this.watcher.restart(),
      onPush: (push) => this.receive(push),
      onState: (state, detail) => this.statusBar.setState(state, detail),
    });
    this.watcher = new MeshWatcher({
      channel: this.connection,
      adminToken: params.adminToken,
      onSnapshot: (snapshot) => this.showSnapshot(snapshot),
      onGroupStatuses: (group, statuses) => this.showGroupStatuses(group, statuses),
      onFailure: (action, error) => this.showFailure(action, error),
    });
  }

  start(): void {
    this.root.replaceChildren(
      this.statusBar.element,
      h(
        'div',
        { class: 'top' },
        h(
          'section',
          { class: 'latency' },
          h('h2', {}, 'Fan-out latency (all watched groups, per second)'),
          this.latencyBox,
        ),
        this.counters.element,
      ),
      this.members.element,
      h('section', { class: 'groups-section' }, h('h2', {}, 'Groups'), this.groups.element),
    );
    this.latency = createLatencyChart(this.latencyBox);
    this.connection.start();
    this.ticker = setInterval(() => this.redraw(), TICK_MS);
    const statsUrl = this.options.params.statsUrl;
    if (statsUrl !== undefined) {
      this.stopStats = pollStats({
        url: statsUrl,
        onCounters: (counters) => {
          this.counters.setStack(counters);
          this.counters.setStackNote('');
        },
        onFailure: (reason) => this.counters.setStackNote(`${statsUrl} could not be read: ${reason}`),
      });
    }
  }

  /** The page is going: the server is told this viewer left, so the last one out turns monitoring off at once. */
  stop(): void {
    clearInterval(this.ticker);
    clearTimeout(this.promptRedraw);
    this.stopStats();
    this.watcher.stop();
    this.connection.stop();
  }

  private receive(push: Push): void {
    if (isConsolePush(push)) {
      const round = roundOf(push);
      if (round !== null && this.positions.isNew(push.pos) && this.buckets.add(round)) {
        this.counters.setRounds(this.buckets.totals());
        this.redrawSoon();
      }
      return;
    }
    // A group closed earlier still sends its pushes until its watch lapses; only the open one is shown.
    if (this.board?.applyPush(push)) this.members.invalidate();
  }

  private showSnapshot(snapshot: MeshSnapshot): void {
    this.clock.sync(snapshot.at);
    const now = this.clock.now();
    this.statusBar.setSnapshot(snapshot, now);
    this.statusBar.setFailure('');
    this.groups.update(snapshot.groups, now);
    this.redrawSoon(); // A new group's chart and rates show at once, not at the next tick.
    const board = this.board;
    if (board === null) return;
    const opened = snapshot.groups.find((group) => board.isAbout(group));
    if (opened === undefined) {
      this.members.setNote('This group is no longer live.');
      return;
    }
    board.applyNodes(opened.nodes.map((node) => node.nodeId));
    this.members.invalidate();
  }

  /** The charts from the buckets, and every age and time to expiry. */
  private redraw(): void {
    const now = this.clock.now();
    const second = this.clock.second();
    this.buckets.prune(second);
    this.latency?.update(this.buckets.latency(second));
    this.groups.plot((key) => this.buckets.groupRates(key, second));
    this.groups.tick(now);
    this.statusBar.tick(now);
  }

  /** A redraw within PROMPT_REDRAW_MS, however many rounds arrive until then: a busy mesh redraws a few times a second. */
  private redrawSoon(): void {
    if (this.promptRedraw !== undefined) return;
    this.promptRedraw = setTimeout(() => {
      this.promptRedraw = undefined;
      this.redraw();
    }, PROMPT_REDRAW_MS);
  }

  private showGroupStatuses(group: GroupRef, statuses: NodeStatus[]): void {
    if (this.board === null || !this.board.isAbout(group)) return; // The answer for a group closed since.
    this.board.applySnapshot(statuses);
    this.members.invalidate();
  }

  private showFailure(action: string, error: ConsoleRequestError): void {
    if (error.errorType === 'Unauthorized') {
      this.stop();
      this.options.onUnauthorized(error.message);
      return;
    }
    if (error.errorType === 'Disconnected') return; // The status bar says so; the next open renews.
    if (action === 'watchGroup' && error.errorType === 'GroupNotFound') {
      this.members.setNote('This group is no longer live.');
      return;
    }
    this.statusBar.setFailure(`${action} failed: ${error.errorType}: ${error.message}`);
  }

  private openGroup(group: ConsoleGroup): void {
    this.board = new StatusBoard({ groupId: group.groupId, domain: group.domain });
    this.board.applyNodes(group.nodes.map((node) => node.nodeId));
    this.members.setNote('');
    this.members.show(this.board, group.name);
    this.groups.setOpened(groupKeyOf(group));
    this.watcher.openGroup(group);
  }

  private closeGroup(): void {
    this.board = null;
    this.members.show(null);
    this.groups.setOpened(null);
    this.watcher.closeGroup();
  }
}
