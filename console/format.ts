/**
 * How the console writes times: spans as `1h 02m`, `3m 07s`, `12s`, short
 * enough for a table cell, and read against the server's clock (see
 * server-clock.ts) so a browser whose clock is off does not show a fresh
 * heartbeat as a minute old.
 */

/** A span of milliseconds as its two largest units; negative spans count as 0. */
export function formatSpan(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (days > 0) return `${days}d ${two(hours)}h`;
  if (hours > 0) return `${hours}h ${two(minutes)}m`;
  if (minutes > 0) return `${minutes}m ${two(seconds)}s`;
  return `${seconds}s`;
}

/** How long ago `iso` was, at `nowMs`; '—' for a date that does not parse. */
export function formatAge(iso: string | null, nowMs: number): string {
  const at = iso === null ? NaN : Date.parse(iso);
  return Number.isFinite(at) ? `${formatSpan(nowMs - at)} ago` : '—';
}

/** How long until `iso`, at `nowMs`: 'expired' once it passed. */
export function formatUntil(iso: string, nowMs: number): string {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return '—';
  return at <= nowMs ? 'expired' : `in ${formatSpan(at - nowMs)}`;
}
