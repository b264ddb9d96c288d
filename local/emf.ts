/**
 * The handlers' metrics, the way CloudWatch gets them in AWS: as Embedded
 * Metric Format lines on stdout (what Powertools `Metrics` prints), e.g.
 *   {"_aws":{"Timestamp":…,"CloudWatchMetrics":[{"Namespace":"Mesh","Dimensions":[["service"]],
 *     "Metrics":[{"Name":"PostRetries","Unit":"Count"}]}]},"service":"fanout","PostRetries":2}
 * The stack taps the stdout of each thread that runs handlers, reads such
 * lines, and sums every metric by name into the stats' `metrics` (a value
 * may be a number or an array of numbers; dimensions and namespaces are not
 * kept apart). The lines still reach stdout unchanged.
 */

/** The metric sums one line carries, or undefined when it is not an EMF line. */
export function emfMetrics(line: string): Record<string, number> | undefined {
  if (!line.startsWith('{') || !line.includes('"_aws"')) return undefined;
  let document: Record<string, unknown>;
  try {
    document = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const directives = (document._aws as { CloudWatchMetrics?: unknown } | undefined)?.CloudWatchMetrics;
  if (!Array.isArray(directives)) return undefined;
  const sums: Record<string, number> = {};
  for (const directive of directives as { Metrics?: { Name?: unknown }[] }[]) {
    for (const metric of directive?.Metrics ?? []) {
      if (typeof metric?.Name !== 'string') continue;
      const value = document[metric.Name];
      const values = Array.isArray(value) ? value : [value];
      const total = values.reduce<number>((sum, v) => (typeof v === 'number' && Number.isFinite(v) ? sum + v : sum), 0);
      sums[metric.Name] = (sums[metric.Name] ?? 0) + total;
    }
  }
  return sums;
}

type Write = NodeJS.WriteStream['write'];
type Listener = (sums: Record<string, number>) => void;

interface Tap {
  write: Write;
  listeners: Set<Listener>;
  partial: string;
}

const taps = new WeakMap<NodeJS.WriteStream, Tap>();

/** Writes to `stream` past any tap (for output relayed from a worker that counted its own lines). */
export function writeUntapped(stream: NodeJS.WriteStream, chunk: Uint8Array | string): void {
  (taps.get(stream)?.write ?? stream.write).call(stream, chunk);
}

function read(tap: Tap, text: string): void {
  if (tap.partial === '' && !text.includes('"_aws"')) return;
  const lines = (tap.partial + text).split('\n');
  tap.partial = lines.pop() ?? '';
  // A runaway line with no newline is not a metric line worth keeping.
  if (tap.partial.length > 1_000_000) tap.partial = '';
  for (const line of lines) {
    const sums = emfMetrics(line.trim());
    if (sums) for (const listener of tap.listeners) listener(sums);
  }
}

/**
 * Calls `onMetrics` for every EMF line written to `stream` (process.stdout)
 * from now on; returns a function that removes the tap. Handlers print whole
 * lines (console.log, a JSON line per write); a line split across writes is
 * put back together.
 */
export function tapEmf(stream: NodeJS.WriteStream, onMetrics: Listener): () => void {
  let tap = taps.get(stream);
  if (!tap) {
    const created: Tap = { write: stream.write, listeners: new Set(), partial: '' };
    taps.set(stream, created);
    stream.write = function tappedWrite(this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      try {
        read(created, typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      } catch {
        // Counting must never break a handler's output.
      }
      return (created.write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Write;
    tap = created;
  }
  const listener: Listener = (sums) => onMetrics(sums);
  tap.listeners.add(listener);
  const owned = tap;
  return function untapEmf() {
    owned.listeners.delete(listener);
    if (owned.listeners.size > 0 || taps.get(stream) !== owned) return;
    stream.write = owned.write;
    taps.delete(stream);
  };
}
