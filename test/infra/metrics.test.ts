/**
 * The alarms on the mesh's own metrics (components/alarms.ts) see what the
 * handlers write: the same namespace, the same metric names and exactly the
 * `service` dimension, when a function runs with the environment the stack
 * gives it. Checked against the handlers' own metrics module, whose EMF line
 * is what CloudWatch turns into the metric.
 */
import { ALARMED_METRICS, METRICS_NAMESPACE, metricsEnvironment, metricsServiceName } from '../../infra/metrics';
import { METRIC_NAMES } from '#shared/lambda/metrics';

const STAGE = 'dev';

interface EmfLine {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [field: string]: unknown;
}

/** The EMF line a handler prints for `counts`, in a function whose environment the stack set. */
function emittedLine(counts: Record<string, number>): EmfLine {
  const saved = { ...process.env };
  Object.assign(process.env, metricsEnvironment(STAGE));
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    // A fresh module, as on a cold start: Powertools reads its variables when the Metrics is made.
    jest.isolateModules(() => {
      const { createMetrics, publishCounts } =
        require('#shared/lambda/metrics') as typeof import('#shared/lambda/metrics');
      publishCounts(createMetrics(), counts);
    });
  } finally {
    write.mockRestore();
    process.env = saved;
  }
  const line = lines.find((text) => text.includes('"_aws"'));
  if (line === undefined) throw new Error(`no EMF line among ${JSON.stringify(lines)}`);
  return JSON.parse(line) as EmfLine;
}

it('alarms on metric names the handlers emit', () => {
  expect(Object.values(METRIC_NAMES)).toEqual(expect.arrayContaining(Object.values(ALARMED_METRICS)));
});

it('gives every function the Mesh namespace and a service per stage', () => {
  expect(metricsEnvironment(STAGE)).toEqual({
    POWERTOOLS_SERVICE_NAME: 'mesh-dev',
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  });
});

it.each(Object.values(ALARMED_METRICS))(
  'finds %s where the alarm looks: namespace Mesh, dimension service = mesh-{stage} only',
  (name) => {
    const line = emittedLine({ [name]: 1 });
    const [directive] = line._aws.CloudWatchMetrics;
    expect(directive.Namespace).toBe(METRICS_NAMESPACE);
    expect(directive.Metrics.map((m) => m.Name)).toContain(name);
    // CloudWatch finds a metric by its exact set of dimensions: the alarm names { service } alone.
    expect(directive.Dimensions).toEqual([['service']]);
    expect(line.service).toBe(metricsServiceName(STAGE));
    expect(line[name]).toBe(1);
  },
);
