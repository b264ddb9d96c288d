/**
 * The bench's picture, written by hand as SVG (no dependency): on the left the
 * latency CDF of the mesh and of the baseline relay (log time axis), on the
 * right the delivered rate against the load multiplier, with the rate a clean
 * run must deliver, and unclean steps marked.
 */

export interface CdfSeries {
  label: string;
  color: string;
  /** [latency ms, fraction 0..1], increasing. */
  points: [number, number][];
}

export interface RateSeries {
  label: string;
  color: string;
  /** multiplier, deliveries/s, expected deliveries/s, clean. */
  points: { multiplier: number; delivered: number; expected: number; clean: boolean }[];
}

export interface Picture {
  title: string;
  subtitle: string;
  cdf: CdfSeries[];
  rates: RateSeries[];
  /** The p99 bound, drawn on the CDF. */
  p99BoundMs?: number;
}

const W = 1100;
const H = 480;
const PANEL = { top: 80, height: 320, left1: 70, left2: 620, width: 440 };

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '0');

function niceLogTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  // 1-2-5 steps over a few decades; powers of ten only over many.
  const steps = Math.log10(max / min) > 4 ? [1] : [1, 2, 5];
  for (let decade = Math.floor(Math.log10(min)); decade <= Math.ceil(Math.log10(max)); decade++) {
    for (const m of steps) {
      const v = m * 10 ** decade;
      if (v >= min && v <= max) ticks.push(v);
    }
  }
  return ticks;
}

function niceLinearTicks(max: number, count = 5): number[] {
  if (max <= 0) return [0];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) ticks.push(v);
  return ticks;
}

const label = (v: number) => (v >= 1000 ? `${v / 1000}k` : v < 1 ? String(v) : String(v));

function cdfPanel(picture: Picture): string[] {
  const { top, height, left1: left, width } = PANEL;
  const all = picture.cdf.flatMap((s) => s.points.map(([x]) => x)).filter((x) => x > 0);
  const min = Math.max(0.05, 10 ** Math.floor(Math.log10(Math.min(...all, 1))));
  const max = 10 ** Math.ceil(Math.log10(Math.max(...all, picture.p99BoundMs ?? 1, 1) * 1.01));
  const x = (ms: number) =>
    left + ((Math.log10(Math.max(ms, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * width;
  const y = (fraction: number) => top + height - fraction * height;
  const out: string[] = [];
  out.push(
    `<text x="${left + width / 2}" y="${top - 12}" class="h">Latency CDF (send → receive, every delivery)</text>`,
  );
  for (const t of niceLogTicks(min, max)) {
    out.push(`<line x1="${num(x(t))}" y1="${top}" x2="${num(x(t))}" y2="${top + height}" class="grid"/>`);
    out.push(`<text x="${num(x(t))}" y="${top + height + 16}" class="tick" text-anchor="middle">${label(t)}</text>`);
  }
  for (const f of [0, 0.25, 0.5, 0.75, 0.9, 1]) {
    out.push(`<line x1="${left}" y1="${num(y(f))}" x2="${left + width}" y2="${num(y(f))}" class="grid"/>`);
    out.push(`<text x="${left - 6}" y="${num(y(f) + 4)}" class="tick" text-anchor="end">${f * 100}%</text>`);
  }
  out.push(`<text x="${left + width / 2}" y="${top + height + 36}" class="axis">latency (ms, log scale)</text>`);
  if (picture.p99BoundMs) {
    const bx = num(x(picture.p99BoundMs));
    out.push(`<line x1="${bx}" y1="${top}" x2="${bx}" y2="${top + height}" class="bound"/>`);
    out.push(
      `<text x="${bx}" y="${top + height / 2}" class="tick" text-anchor="end" transform="rotate(-90 ${bx} ${top + height / 2})" dy="-4">p99 bound ${picture.p99BoundMs} ms</text>`,
    );
  }
  picture.cdf.forEach((series) => {
    if (series.points.length === 0) return;
    const d = series.points.map(([ms, f], j) => `${j === 0 ? 'M' : 'L'}${num(x(ms))},${num(y(f))}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${series.color}" stroke-width="2"/>`);
  });
  // Legend bottom right, where a CDF has no line.
  const legendTop = top + height - 14 - picture.cdf.length * 18;
  out.push(
    `<rect x="${left + width - 318}" y="${legendTop - 6}" width="312" height="${picture.cdf.length * 18 + 10}" fill="#fff" fill-opacity="0.85"/>`,
  );
  picture.cdf.forEach((series, i) => {
    out.push(
      `<rect x="${left + width - 310}" y="${legendTop + i * 18 + 2}" width="14" height="4" fill="${series.color}"/>`,
    );
    out.push(
      `<text x="${left + width - 290}" y="${legendTop + i * 18 + 8}" class="legend">${esc(series.label)}</text>`,
    );
  });
  out.push(`<rect x="${left}" y="${top}" width="${width}" height="${height}" class="frame"/>`);
  return out;
}

function ratePanel(picture: Picture): string[] {
  const { top, height, left2: left, width } = PANEL;
  const points = picture.rates.flatMap((s) => s.points);
  const out: string[] = [];
  out.push(`<text x="${left + width / 2}" y="${top - 12}" class="h">Delivered rate vs load multiplier</text>`);
  if (points.length === 0) {
    out.push(`<text x="${left + width / 2}" y="${top + height / 2}" class="axis">no steps run</text>`);
    out.push(`<rect x="${left}" y="${top}" width="${width}" height="${height}" class="frame"/>`);
    return out;
  }
  const multipliers = [...new Set(points.map((p) => p.multiplier))].sort((a, b) => a - b);
  const minM = multipliers[0];
  const maxM = multipliers[multipliers.length - 1];
  const span = Math.log2(maxM / minM) || 1;
  const x = (m: number) =>
    left + 30 + (multipliers.length === 1 ? (width - 60) / 2 : (Math.log2(m / minM) / span) * (width - 60));
  const maxRate = Math.max(...points.map((p) => Math.max(p.delivered, p.expected))) * 1.1;
  const y = (rate: number) => top + height - (rate / maxRate) * height;
  for (const t of niceLinearTicks(maxRate)) {
    if (t > maxRate) continue;
    out.push(`<line x1="${left}" y1="${num(y(t))}" x2="${left + width}" y2="${num(y(t))}" class="grid"/>`);
    out.push(`<text x="${left - 6}" y="${num(y(t) + 4)}" class="tick" text-anchor="end">${label(t)}</text>`);
  }
  for (const m of multipliers) {
    out.push(`<text x="${num(x(m))}" y="${top + height + 16}" class="tick" text-anchor="middle">×${m}</text>`);
  }
  out.push(
    `<text x="${left + width / 2}" y="${top + height + 36}" class="axis">load multiplier (× Mesh v2 profile)</text>`,
  );
  out.push(
    `<text x="${left - 50}" y="${top + height / 2}" class="axis" transform="rotate(-90 ${left - 50} ${top + height / 2})">deliveries / s</text>`,
  );
  const expected = picture.rates[0]?.points ?? [];
  if (expected.length > 0) {
    const d = expected.map((p, j) => `${j === 0 ? 'M' : 'L'}${num(x(p.multiplier))},${num(y(p.expected))}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="#999" stroke-dasharray="5 4" stroke-width="1.5"/>`);
  }
  // Drawn last-first, so the first series (the mesh) is on top.
  [...picture.rates].reverse().forEach((series) => {
    const d = series.points
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${num(x(p.multiplier))},${num(y(p.delivered))}`)
      .join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${series.color}" stroke-width="2"/>`);
    for (const p of series.points) {
      const fill = p.clean ? series.color : '#fff';
      out.push(
        `<circle cx="${num(x(p.multiplier))}" cy="${num(y(p.delivered))}" r="${p.clean ? 4.5 : 6}" fill="${fill}" stroke="${p.clean ? series.color : '#d62728'}" stroke-width="2"/>`,
      );
    }
  });
  picture.rates.forEach((series, i) => {
    out.push(`<rect x="${left + 10}" y="${top + 10 + i * 18}" width="14" height="4" fill="${series.color}"/>`);
    out.push(`<text x="${left + 30}" y="${top + 16 + i * 18}" class="legend">${esc(series.label)}</text>`);
  });
  const n = picture.rates.length;
  out.push(
    `<line x1="${left + 10}" y1="${top + 12 + n * 18}" x2="${left + 24}" y2="${top + 12 + n * 18}" stroke="#999" stroke-dasharray="4 3"/>`,
  );
  out.push(
    `<text x="${left + 30}" y="${top + 16 + n * 18}" class="legend">expected (every push to every other member)</text>`,
  );
  out.push(
    `<circle cx="${left + 17}" cy="${top + 12 + (n + 1) * 18}" r="4" fill="#fff" stroke="#d62728" stroke-width="2"/>`,
  );
  out.push(
    `<text x="${left + 30}" y="${top + 16 + (n + 1) * 18}" class="legend">step not clean (loss, dupes, reorder or p99 over bound)</text>`,
  );
  out.push(`<rect x="${left}" y="${top}" width="${width}" height="${height}" class="frame"/>`);
  return out;
}

export function renderSvg(picture: Picture): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>',
    '.h{font-size:14px;font-weight:bold;text-anchor:middle}.tick{font-size:11px;fill:#444}',
    '.axis{font-size:12px;fill:#222;text-anchor:middle}.legend{font-size:12px;fill:#222}',
    '.grid{stroke:#e5e5e5;stroke-width:1}.frame{fill:none;stroke:#888}.bound{stroke:#d62728;stroke-dasharray:3 3}',
    '</style>',
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="28" font-size="18" font-weight="bold" text-anchor="middle">${esc(picture.title)}</text>`,
    `<text x="${W / 2}" y="48" font-size="12" fill="#555" text-anchor="middle">${esc(picture.subtitle)}</text>`,
    ...cdfPanel(picture),
    ...ratePanel(picture),
    '</svg>',
    '',
  ].join('\n');
}
