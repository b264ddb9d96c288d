/**
 * The stack sums the metrics handlers print as CloudWatch Embedded Metric
 * Format lines (Powertools `Metrics`) into its stats, and lets every line
 * through unchanged.
 */
import { PassThrough } from 'node:stream';
import { emfMetrics, tapEmf, writeUntapped } from '#local/emf';

const emfLine = (values: Record<string, unknown>, names = Object.keys(values)) =>
  JSON.stringify({
    _aws: {
      Timestamp: 1767225600000,
      CloudWatchMetrics: [
        { Namespace: 'Mesh', Dimensions: [['service']], Metrics: names.map((Name) => ({ Name, Unit: 'Count' })) },
      ],
    },
    service: 'fanout',
    ...values,
  });

/** A stream shaped like process.stdout that keeps what reaches it. */
function fakeStdout() {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  const written: string[] = [];
  stream.write = ((chunk: unknown) => {
    written.push(String(chunk));
    return true;
  }) as NodeJS.WriteStream['write'];
  return { stream, written };
}

describe('emfMetrics', () => {
  test('reads every metric a line declares, summing arrays of values', () => {
    expect(emfMetrics(emfLine({ FramesPosted: 3, PostRetries: [1, 2], AbandonedPosts: 0 }))).toEqual({
      FramesPosted: 3,
      PostRetries: 3,
      AbandonedPosts: 0,
    });
  });

  test('ignores plain log lines, JSON without _aws, broken JSON and undeclared fields', () => {
    expect(emfMetrics('starting')).toBeUndefined();
    expect(emfMetrics('{"level":"INFO","message":"hi"}')).toBeUndefined();
    expect(emfMetrics('{"_aws": {')).toBeUndefined();
    expect(emfMetrics(emfLine({ GonePosts: 1, other: 5 }, ['GonePosts']))).toEqual({ GonePosts: 1 });
  });
});

describe('tapEmf', () => {
  test('sums the metrics of lines written, whole or in pieces, and passes every byte on', () => {
    const { stream, written } = fakeStdout();
    const seen: Record<string, number>[] = [];
    const untap = tapEmf(stream, (sums) => seen.push(sums));

    const line = `${emfLine({ FramesPosted: 2 })}\n`;
    stream.write('{"level":"INFO","message":"not a metric"}\n');
    stream.write(line);
    stream.write(Buffer.from(line.slice(0, 40)));
    stream.write(line.slice(40));
    untap();
    stream.write(line);

    expect(seen).toEqual([{ FramesPosted: 2 }, { FramesPosted: 2 }]);
    expect(written.join('')).toBe(`{"level":"INFO","message":"not a metric"}\n${line}${line}${line}`);
  });

  test('writeUntapped passes output by the tap (a worker counted those lines already)', () => {
    const { stream, written } = fakeStdout();
    const seen: unknown[] = [];
    const untap = tapEmf(stream, (sums) => seen.push(sums));

    writeUntapped(stream, `${emfLine({ FramesPosted: 1 })}\n`);
    untap();

    expect(seen).toEqual([]);
    expect(written).toHaveLength(1);
  });
});
