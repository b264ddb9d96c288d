/**
 * The console's two kinds of chart, over uPlot: a group's pushes/s and
 * frames/s, and the fan-out latency of every watched group. The views hand
 * them series from rates.ts and never touch uPlot themselves, so the
 * library could be swapped here alone. uPlot's stylesheet comes in with it:
 * the build emits it as app.css.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { GroupRates, LatencySeries } from './rates';

/** A chart the page feeds; `destroy` when its element leaves the page. */
export interface Chart<T> {
  update(series: T): void;
  destroy(): void;
}

const COLORS = { pushes: '#2f6fdf', frames: '#d9822b', p50: '#2e9d5b', max: '#c93c3c' } as const;

/** A y scale from 0 to a little above its largest value, at least `floor`: an idle chart stays flat at 0. */
function fromZero(floor: number): uPlot.Scale.Range {
  return (_chart, _min, max) => [0, Math.max(floor, (max ?? 0) * 1.1)];
}

function line(label: string, stroke: string, unit: string): uPlot.Series {
  return {
    label,
    stroke,
    width: 1.5,
    spanGaps: false,
    value: (_chart, value) => (value === null || value === undefined ? '—' : `${Math.round(value)} ${unit}`),
  };
}

/** Follows the container's width (a window resize, a panel opened beside it). */
function followWidth(plot: uPlot, container: HTMLElement, height: number): () => void {
  if (typeof ResizeObserver === 'undefined') return () => undefined;
  const observer = new ResizeObserver(() => {
    const width = container.clientWidth;
    if (width > 0 && width !== plot.width) plot.setSize({ width, height });
  });
  observer.observe(container);
  return () => observer.disconnect();
}

function makeChart<T>(
  container: HTMLElement,
  options: Omit<uPlot.Options, 'width' | 'height'>,
  height: number,
  toData: (series: T) => uPlot.AlignedData,
): Chart<T> {
  const width = container.clientWidth > 0 ? container.clientWidth : 320;
  const plot = new uPlot({ ...options, width, height }, [[]], container);
  const unfollow = followWidth(plot, container, height);
  return {
    update: (series) => plot.setData(toData(series)),
    destroy: () => {
      unfollow();
      plot.destroy();
    },
  };
}

/** A group's pushes/s and frames/s, small enough for a table row. */
export function createRateChart(container: HTMLElement): Chart<GroupRates> {
  return makeChart<GroupRates>(
    container,
    {
      class: 'rate-chart',
      // The row's note gives the figures; a legend would be taller than the chart.
      legend: { show: false },
      series: [{}, line('pushes/s', COLORS.pushes, '/s'), line('frames/s', COLORS.frames, '/s')],
      scales: { x: { time: true }, y: { range: fromZero(1) } },
      axes: [{ show: false }, { size: 36, ticks: { show: false }, font: '10px sans-serif' }],
      cursor: { drag: { x: false, y: false } },
    },
    70,
    (rates) => [rates.seconds, rates.pushes, rates.frames],
  );
}

/** Per second, the median and the worst fan-out latency over every watched group. */
export function createLatencyChart(container: HTMLElement): Chart<LatencySeries> {
  return makeChart<LatencySeries>(
    container,
    {
      class: 'latency-chart',
      series: [{}, line('p50', COLORS.p50, 'ms'), line('max', COLORS.max, 'ms')],
      scales: { x: { time: true }, y: { range: fromZero(10) } },
      axes: [{}, { size: 50, label: 'ms' }],
      cursor: { drag: { x: false, y: false } },
    },
    180,
    (latency) => [latency.seconds, latency.p50, latency.max],
  );
}
