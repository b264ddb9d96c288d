/**
 * One CloudWatch dashboard of the stack, to see at a glance what the mesh
 * does and whether it is healthy:
 *
 *   the mesh's own metrics  every one of METRIC_NAMES (infra/metrics.ts),
 *                           namespace Mesh, dimension `service` only, as
 *                           the functions write them; grouped in panels
 *   Lambda                  errors and p99 duration of every function
 *   API Gateway             the WebSocket stage's connections and messages;
 *                           the HTTPS endpoint's requests, 4xx and 5xx
 *
 * The graphs are Sums (p99 for durations) per period. The alarms
 * (alarms.ts) watch a few of the same metrics; the dashboard is for looking.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { FunctionName } from '../config';
import { METRIC_NAMES, METRICS_NAMESPACE, type MetricName } from '../metrics';
import type { MeshFunction } from './functions';

export interface MeshDashboardArgs {
  functions: Record<FunctionName, MeshFunction>;
  /** The WebSocket API and its stage. */
  webSocketApiId: pulumi.Input<string>;
  stageName: string;
  /** The HTTPS endpoint's HTTP API. */
  httpApiId: pulumi.Input<string>;
  /** The `service` dimension of the mesh's own metrics (POWERTOOLS_SERVICE_NAME, infra/metrics.ts). */
  metricsService: string;
  /** The period (s) of every graph. Default: 60, the resolution the functions' metrics have. */
  periodSeconds?: number;
}

/** The graphs of the mesh's own metrics, in the order they are drawn: the requests first, then the fan-out. */
const MESH_PANELS = [
  'Groups created, joins, pushes accepted',
  'Requests refused RateLimited, answered InternalError',
  'HTTPS polling: requests, clients that fell back',
  'Fan-out: frames posted, connections gone',
  'Fan-out: posts retried, given up',
  'Sweeper: flushes restarted, nodes dropped',
] as const;

/**
 * The graph of each of the mesh's own metrics. A Record of every MetricName,
 * so a metric added to METRIC_NAMES does not compile until it has a graph:
 * the dashboard never misses one.
 */
const MESH_PANEL_OF: Record<MetricName, (typeof MESH_PANELS)[number]> = {
  [METRIC_NAMES.groupsCreated]: MESH_PANELS[0],
  [METRIC_NAMES.joins]: MESH_PANELS[0],
  [METRIC_NAMES.pushes]: MESH_PANELS[0],
  [METRIC_NAMES.rateLimited]: MESH_PANELS[1],
  [METRIC_NAMES.errors]: MESH_PANELS[1],
  [METRIC_NAMES.pollingRequests]: MESH_PANELS[2],
  [METRIC_NAMES.pollingFallbacks]: MESH_PANELS[2],
  [METRIC_NAMES.framesPosted]: MESH_PANELS[3],
  [METRIC_NAMES.gonePosts]: MESH_PANELS[3],
  [METRIC_NAMES.postRetries]: MESH_PANELS[4],
  [METRIC_NAMES.abandonedPosts]: MESH_PANELS[4],
  [METRIC_NAMES.flushesRestarted]: MESH_PANELS[5],
  [METRIC_NAMES.nodesDropped]: MESH_PANELS[5],
};

/** A metric of a graph, as the dashboard body writes it: namespace, name, then dimension names and values. */
type MetricRow = (string | { label?: string; stat?: string })[];

interface Panel {
  title: string;
  metrics: MetricRow[];
  stat?: string;
}

/** The resolved values the body is made of. */
interface BodyInputs {
  region: string;
  functionNames: Record<string, string>;
  webSocketApiId: string;
  httpApiId: string;
}

/** Graphs two to a row, each half the dashboard's 24 columns wide. */
const PANEL_WIDTH = 12;
const PANEL_HEIGHT = 6;

export class MeshDashboard extends pulumi.ComponentResource {
  readonly dashboard: aws.cloudwatch.Dashboard;
  /** The dashboard's name: `mesh-{stack}`. */
  readonly name: pulumi.Output<string>;
  /** Where the console shows it. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: MeshDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mesh:ops:Dashboard', name, {}, opts);
    const period = args.periodSeconds ?? 60;
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const functionNames = pulumi.output(
      Object.fromEntries(Object.entries(args.functions).map(([fn, meshFunction]) => [fn, meshFunction.function.name])),
    );

    const body = pulumi
      .all([region, functionNames, args.webSocketApiId, args.httpApiId])
      .apply(([resolvedRegion, names, webSocketApiId, httpApiId]) =>
        JSON.stringify(
          dashboardBody(
            { region: resolvedRegion, functionNames: names, webSocketApiId, httpApiId },
            { stageName: args.stageName, metricsService: args.metricsService, period },
          ),
        ),
      );

    this.dashboard = new aws.cloudwatch.Dashboard(
      name,
      // Dashboard names take letters, digits, - and _ only; a stack name may hold dots.
      { dashboardName: `${name}-${pulumi.getStack()}`.replace(/[^A-Za-z0-9_-]/g, '-'), dashboardBody: body },
      { parent: this },
    );
    this.name = this.dashboard.dashboardName;
    this.url = pulumi.interpolate`https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${this.name}`;
    this.registerOutputs({ name: this.name, url: this.url });
  }
}

/** The dashboard's JSON body (CloudWatch's dashboard body structure): its panels, two to a row. */
function dashboardBody(
  inputs: BodyInputs,
  settings: { stageName: string; metricsService: string; period: number },
): { widgets: unknown[] } {
  const panels = [
    ...meshPanels(settings.metricsService),
    ...lambdaPanels(inputs.functionNames),
    ...apiPanels(inputs.webSocketApiId, settings.stageName, inputs.httpApiId),
  ];
  return {
    widgets: panels.map((panel, i) => ({
      type: 'metric',
      x: (i % 2) * PANEL_WIDTH,
      y: Math.floor(i / 2) * PANEL_HEIGHT,
      width: PANEL_WIDTH,
      height: PANEL_HEIGHT,
      properties: {
        title: panel.title,
        region: inputs.region,
        view: 'timeSeries',
        stacked: false,
        period: settings.period,
        stat: panel.stat ?? 'Sum',
        metrics: panel.metrics,
      },
    })),
  };
}

/** Every metric of METRIC_NAMES, each in its graph (MESH_PANEL_OF). */
function meshPanels(service: string): Panel[] {
  const metrics = Object.values(METRIC_NAMES);
  return MESH_PANELS.map((title) => ({
    title,
    metrics: metrics
      .filter((metric) => MESH_PANEL_OF[metric] === title)
      .map((metric): MetricRow => [METRICS_NAMESPACE, metric, 'service', service]),
  }));
}

function lambdaPanels(functionNames: Record<string, string>): Panel[] {
  const rows = (metricName: string) =>
    Object.entries(functionNames).map(([fn, functionName]): MetricRow => [
      'AWS/Lambda',
      metricName,
      'FunctionName',
      functionName,
      { label: fn },
    ]);
  return [
    { title: 'Lambda errors (uncaught errors, timeouts)', metrics: rows('Errors') },
    { title: 'Lambda duration, p99 (ms)', metrics: rows('Duration'), stat: 'p99' },
  ];
}

/** WebSocket APIs publish by ApiId and Stage (as the alarms watch them); the HTTP API's $default stage, by ApiId. */
function apiPanels(webSocketApiId: string, stageName: string, httpApiId: string): Panel[] {
  const webSocket = (metricName: string): MetricRow => [
    'AWS/ApiGateway',
    metricName,
    'ApiId',
    webSocketApiId,
    'Stage',
    stageName,
  ];
  const https = (metricName: string): MetricRow => ['AWS/ApiGateway', metricName, 'ApiId', httpApiId];
  return [
    {
      title: 'WebSocket API: connections, messages',
      metrics: [webSocket('ConnectCount'), webSocket('MessageCount')],
    },
    { title: 'HTTPS endpoint: requests, 4xx, 5xx', metrics: [https('Count'), https('4xx'), https('5xx')] },
  ];
}
