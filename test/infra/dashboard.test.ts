/**
 * The stack's CloudWatch dashboard under Pulumi's mocks: one dashboard named
 * after the stack, whose body plots every metric the handlers emit under the
 * namespace and the `service` dimension their Powertools writes (and only
 * that dimension, as CloudWatch finds a metric by its exact set), every
 * function's errors and duration, and the two APIs' traffic, in the stack's
 * Region; its name and console URL are stack outputs.
 */
import type * as pulumi from '@pulumi/pulumi';
import type { MeshOutputs } from '../../infra/program';
import { METRIC_NAMES } from '#shared/lambda/metrics';
import { API_ID, HTTP_API_ID, installMocks, REGION, settled, valueOf, type Declared, type Props } from './mocks';

const STAGE = 'staging';
const FUNCTIONS = ['connect', 'disconnect', 'request', 'http', 'fanout', 'sweep', 'authorize'];

let declared: Declared[];
let outputs: MeshOutputs;

/** A graph of the body: its metrics as [namespace, name, dimension name, value, …, options?]. */
interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: { title: string; region: string; stat: string; period: number; metrics: (string | Props)[][] };
}

const dashboards = () => declared.filter((r) => r.type === 'aws:cloudwatch/dashboard:Dashboard');
const widgets = (): Widget[] => JSON.parse(dashboards()[0].inputs.dashboardBody).widgets as Widget[];
/** Every metric row of every graph. */
const rows = () => widgets().flatMap((widget) => widget.properties.metrics);
/** A row's dimensions, as a map; the trailing options object is not one. */
const dimensionsOf = (row: (string | Props)[]) => {
  const strings = row.filter((part): part is string => typeof part === 'string');
  const pairs = strings.slice(2);
  return Object.fromEntries(Array.from({ length: pairs.length / 2 }, (_, i) => [pairs[2 * i], pairs[2 * i + 1]]));
};
const functionOf = (fn: string) =>
  declared.find((r) => r.type === 'aws:lambda/function:Function' && r.name === `mesh-${fn}`)!;

beforeAll(async () => {
  declared = await installMocks(STAGE);
  const { CONFIG_DEFAULTS } = await import('../../infra/config');
  const { declareMesh } = await import('../../infra/program');
  const pulumiSdk: typeof pulumi = await import('@pulumi/pulumi');
  outputs = declareMesh({ ...CONFIG_DEFAULTS, stageName: STAGE }, () => new pulumiSdk.asset.AssetArchive({}), {
    domainSecret: pulumiSdk.secret('a-domain-secret-of-the-dashboard-test'),
  });
  await settled();
}, 60_000);

describe('the dashboard', () => {
  it('is one, named after the stack', () => {
    expect(dashboards()).toHaveLength(1);
    expect(dashboards()[0].inputs.dashboardName).toBe(`mesh-${STAGE}`);
  });

  it('plots every metric the handlers emit, under the Mesh namespace and exactly the service dimension the functions get', () => {
    const variables = functionOf('request').inputs.environment.variables;
    const mesh = rows().filter((row) => row[0] === variables.POWERTOOLS_METRICS_NAMESPACE);
    expect(mesh.map((row) => row[1]).sort()).toEqual(Object.values(METRIC_NAMES).sort());
    for (const row of mesh) {
      expect(dimensionsOf(row)).toEqual({ service: variables.POWERTOOLS_SERVICE_NAME });
    }
    expect(variables.POWERTOOLS_METRICS_NAMESPACE).toBe('Mesh');
    expect(variables.POWERTOOLS_SERVICE_NAME).toBe(`mesh-${STAGE}`);
  });

  it.each(['Errors', 'Duration'])('plots the %s of every function, by its deployed name', (metricName) => {
    const lambda = rows().filter((row) => row[0] === 'AWS/Lambda' && row[1] === metricName);
    expect(lambda.map((row) => dimensionsOf(row).FunctionName).sort()).toEqual(
      FUNCTIONS.map((fn) => functionOf(fn).state.name).sort(),
    );
  });

  it("plots the WebSocket stage's connections and messages, and the HTTPS endpoint's requests and errors", () => {
    const api = rows().filter((row) => row[0] === 'AWS/ApiGateway');
    expect(api.map((row) => [row[1], dimensionsOf(row)])).toEqual([
      ['ConnectCount', { ApiId: API_ID, Stage: STAGE }],
      ['MessageCount', { ApiId: API_ID, Stage: STAGE }],
      ['Count', { ApiId: HTTP_API_ID }],
      ['4xx', { ApiId: HTTP_API_ID }],
      ['5xx', { ApiId: HTTP_API_ID }],
    ]);
  });

  it("draws every graph in the stack's Region, as per-minute sums (p99 for durations), two to a row without overlap", () => {
    const graphs = widgets();
    const cells = new Set<string>();
    for (const widget of graphs) {
      expect(widget.type).toBe('metric');
      expect(widget.properties.region).toBe(REGION);
      expect(widget.properties.period).toBe(60);
      expect(widget.properties.stat).toBe(widget.properties.title.includes('duration') ? 'p99' : 'Sum');
      expect(widget.x + widget.width).toBeLessThanOrEqual(24);
      const cell = `${widget.x},${widget.y}`;
      expect(cells.has(cell)).toBe(false);
      cells.add(cell);
    }
  });

  it('is a stack output, by name and by its URL in the console', async () => {
    expect(await valueOf(outputs.dashboardName)).toBe(`mesh-${STAGE}`);
    expect(await valueOf(outputs.dashboardUrl)).toBe(
      `https://${REGION}.console.aws.amazon.com/cloudwatch/home?region=${REGION}#dashboards/dashboard/mesh-${STAGE}`,
    );
  });
});
