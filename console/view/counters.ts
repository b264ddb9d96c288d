/**
 * The counters panel. Two sources, kept apart because they count over
 * different spans: the fan-out rounds this page received (since it opened,
 * only for watched groups: pushes, frames, gone and abandoned posts), and
 * the local stack's metric sums (since the stack's last reset: errors,
 * polling fallbacks, rate limiting, …). In AWS there is no stats endpoint:
 * the same metrics are on the CloudWatch dashboard, and the panel says so.
 */
import type { RoundTotals } from '../rates';
import { SHOWN_METRICS, type StackCounters } from '../stack-stats';
import { h, setText } from './dom';

interface Counter {
  label: string;
  testId: string;
}

const ROUND_COUNTERS: Record<keyof RoundTotals, Counter> = {
  rounds: { label: 'Fan-out rounds', testId: 'counter-rounds' },
  pushes: { label: 'Pushes fanned out', testId: 'counter-pushes' },
  frames: { label: 'Frames posted', testId: 'counter-frames' },
  gone: { label: 'Gone posts (410)', testId: 'counter-gone' },
  abandoned: { label: 'Abandoned posts', testId: 'counter-abandoned' },
};

/** Each metric under its CloudWatch name, so the page and the dashboard read alike. */
const STACK_COUNTERS = Object.fromEntries(
  Object.entries(SHOWN_METRICS).map(([key, metric]) => [key, { label: metric, testId: `metric-${metric}` }]),
) as Record<keyof StackCounters, Counter>;

function counterList<K extends string>(
  counters: Record<K, Counter>,
): { list: HTMLElement; values: Record<K, HTMLElement> } {
  const values = {} as Record<K, HTMLElement>;
  const items = (Object.keys(counters) as K[]).map((key) => {
    values[key] = h('span', { class: 'value', 'data-testid': counters[key].testId }, '0');
    return h('li', {}, h('span', { class: 'label' }, counters[key].label), values[key]);
  });
  return { list: h('ul', { class: 'counters' }, ...items), values };
}

export class CountersView {
  readonly element: HTMLElement;
  private readonly rounds = counterList(ROUND_COUNTERS);
  private readonly stack = counterList(STACK_COUNTERS);
  private readonly stackNote: HTMLElement;

  constructor(hasStats: boolean) {
    this.stackNote = h('p', { class: 'note', 'data-testid': 'stats-note' });
    this.element = h(
      'section',
      { class: 'counters-view' },
      h('h2', {}, 'This page (fan-out rounds since it opened)'),
      this.rounds.list,
      h('h2', {}, hasStats ? 'Local stack (metrics since its last reset)' : 'Metrics'),
      this.stack.list,
      this.stackNote,
    );
    if (!hasStats) {
      for (const value of Object.values<HTMLElement>(this.stack.values)) {
        setText(value, '—');
        value.setAttribute('data-available', 'false');
      }
      this.setStackNote(
        'In AWS these numbers (Errors, PollingFallbacks, RateLimited, …, namespace Mesh) are on the CloudWatch dashboard.',
      );
    }
  }

  setRounds(totals: RoundTotals): void {
    for (const key of Object.keys(ROUND_COUNTERS) as (keyof RoundTotals)[]) {
      setText(this.rounds.values[key], String(totals[key]));
    }
  }

  setStack(counters: StackCounters): void {
    for (const key of Object.keys(STACK_COUNTERS) as (keyof StackCounters)[]) {
      const value = this.stack.values[key];
      setText(value, String(counters[key]));
      value.setAttribute('data-available', 'true');
    }
  }

  /** A line under the stack's counters (why they are not shown, or why they stopped); '' clears it. */
  setStackNote(text: string): void {
    setText(this.stackNote, text);
    this.stackNote.hidden = text === '';
  }
}
