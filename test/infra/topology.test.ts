/**
 * The two deployments of the mesh against each other: what the Pulumi program
 * declares (under Pulumi's mocks) and what the local stack wires (its
 * functions started in this thread with stand-in handlers, its routes and
 * triggers as stack.ts binds them). Both read shared/topology.ts; this test
 * fails when either stops doing so, or they disagree on a route, a function's
 * handler module or timeout, a trigger, or the variables the handlers need.
 */
import type * as pulumi from '@pulumi/pulumi';
import { installMocks, settled, type Declared, ofHttpApi } from './mocks';
import { bundleEntryPoints } from '../../infra/build';
import { CONSOLE_ROUTES } from '../../infra/components/console-site';
import { FaultInjector } from '#local/faults';
import { startFunctions, type Functions } from '#local/functions';
import { silentLog } from '#local/log';
import { LocalStats } from '#local/stats';
import {
  authorizerBinding,
  DEFAULT_SCHEDULE_SECONDS,
  FUNCTION_NAMES,
  functionModule,
  httpBinding,
  resourceEnvironment,
  routeBindings,
  SCHEDULED_FUNCTION,
  TOPIC_SUBSCRIBER,
  type FunctionName,
} from '#local/wiring';
import { FUNCTION_ENV, FUNCTIONS, HTTP_ROUTE } from '#shared/topology';

/** What a deployment runs: comparable across the two. */
interface Deployment {
  routes: Record<string, { fn: FunctionName; twoWay: boolean }>;
  timeoutSeconds: Record<FunctionName, number>;
  modules: Record<FunctionName, string>;
  topicSubscriber: FunctionName;
  scheduled: { fn: FunctionName; everySeconds: number };
  /** With a credential configured: the authorizer's function, the route it guards, where it reads the credential. */
  authorizer: { fn: FunctionName; routeKey: string; queryParameter: string };
  /** The HTTPS endpoint: its route, the function behind it, and its authorizer's function and query parameter. */
  http: { routeKey: string; fn: FunctionName; authorizer: { fn: FunctionName; queryParameter: string } };
}

/** A credential, so both deployments run the authorizer. */
const API_KEYS = 'ops:an-api-key-of-the-topology-test-0123';
/** An admin token, so the request function is given every variable it reads. */
const ADMIN_TOKEN = 'an-admin-token-of-the-topology-test';
const consoleRouteKeys: readonly string[] = CONSOLE_ROUTES.map((route) => route.routeKey);

let declared: Declared[];
let deployedEnvironment: Record<FunctionName, Record<string, string>>;
let deployed: Deployment;
let local: Deployment;
let functions: Functions;

const ofType = (type: string) => declared.filter((r) => r.type === type);
/** The WebSocket API's resources of a type (the HTTPS endpoint's are test/infra/http-api.test.ts's). */
const wsOfType = (type: string) => ofType(type).filter((r) => !ofHttpApi(r));
const byName = <T>(entries: [FunctionName, T][]) => Object.fromEntries(entries) as Record<FunctionName, T>;

/** Reads the Pulumi program's resources back into a Deployment. */
function deploymentDeclared(): Deployment {
  const lambdas = ofType('aws:lambda/function:Function');
  const fnWhere = (key: 'arn' | 'invokeArn', value: string): FunctionName => {
    const found = lambdas.find((l) => l.state[key] === value);
    if (!found) throw new Error(`no function has ${key} ${value}`);
    return found.name.replace(/^mesh-/, '') as FunctionName;
  };
  const integrations = wsOfType('aws:apigatewayv2/integration:Integration');
  const routes = Object.fromEntries(
    wsOfType('aws:apigatewayv2/route:Route').map((route) => {
      const integration = integrations.find((i) => `integrations/${i.id}` === route.inputs.target)!;
      return [
        route.inputs.routeKey,
        {
          fn: fnWhere('invokeArn', integration.inputs.integrationUri),
          twoWay: route.inputs.routeResponseSelectionExpression === '$default',
        },
      ];
    }),
  );
  const [subscription] = ofType('aws:sns/topicSubscription:TopicSubscription');
  const [target] = ofType('aws:cloudwatch/eventTarget:EventTarget');
  const [rule] = ofType('aws:cloudwatch/eventRule:EventRule');
  const minutes = Number(/^rate\((\d+) minutes?\)$/.exec(rule.inputs.scheduleExpression)?.[1]);
  const [authorizer] = wsOfType('aws:apigatewayv2/authorizer:Authorizer');
  const guarded = wsOfType('aws:apigatewayv2/route:Route').find((route) => route.inputs.authorizerId === authorizer.id);
  const entries = bundleEntryPoints();
  // The operator console's page shares the HTTP API; the local stack serves it on another port (local/console-site.ts).
  const httpRoutes = ofType('aws:apigatewayv2/route:Route')
    .filter(ofHttpApi)
    .filter((route) => !consoleRouteKeys.includes(route.inputs.routeKey));
  if (httpRoutes.length !== 1) throw new Error(`the HTTP API has ${httpRoutes.length} routes, not one`);
  const httpIntegration = ofType('aws:apigatewayv2/integration:Integration').find(
    (i) => `integrations/${i.id}` === httpRoutes[0].inputs.target,
  )!;
  const httpAuthorizer = ofType('aws:apigatewayv2/authorizer:Authorizer').find(
    (a) => ofHttpApi(a) && a.id === httpRoutes[0].inputs.authorizerId,
  )!;
  return {
    routes,
    timeoutSeconds: byName(
      FUNCTION_NAMES.map((fn) => [fn, lambdas.find((l) => l.name === `mesh-${fn}`)!.inputs.timeout]),
    ),
    modules: byName(FUNCTION_NAMES.map((fn) => [fn, entries[`${fn}/index`]])),
    topicSubscriber: fnWhere('arn', subscription.inputs.endpoint),
    scheduled: { fn: fnWhere('arn', target.inputs.arn), everySeconds: minutes * 60 },
    authorizer: {
      fn: fnWhere('invokeArn', authorizer.inputs.authorizerUri),
      routeKey: guarded!.inputs.routeKey,
      queryParameter: /^route\.request\.querystring\.(\w+)$/.exec(authorizer.inputs.identitySources[0])![1],
    },
    http: {
      routeKey: httpRoutes[0].inputs.routeKey,
      fn: fnWhere('invokeArn', httpIntegration.inputs.integrationUri),
      authorizer: {
        fn: fnWhere('invokeArn', httpAuthorizer.inputs.authorizerUri),
        queryParameter: /^\$request\.querystring\.(\w+)$/.exec(httpAuthorizer.inputs.identitySources[0])![1],
      },
    },
  };
}

beforeAll(async () => {
  declared = await installMocks('prod');
  const { CONFIG_DEFAULTS } = await import('../../infra/config');
  const { declareMesh } = await import('../../infra/program');
  const pulumiSdk: typeof pulumi = await import('@pulumi/pulumi');
  declareMesh(CONFIG_DEFAULTS, () => new pulumiSdk.asset.AssetArchive({}), {
    domainSecret: pulumiSdk.secret('a-domain-secret-of-the-topology-test'),
    authApiKeys: pulumiSdk.secret(API_KEYS),
    authJwtSecret: pulumiSdk.secret('an-hs256-secret-of-the-topology-test-0123456'),
    adminToken: pulumiSdk.secret(ADMIN_TOKEN),
  });
  await settled();
  deployed = deploymentDeclared();
  deployedEnvironment = byName(
    FUNCTION_NAMES.map((fn) => [
      fn,
      ofType('aws:lambda/function:Function').find((l) => l.name === `mesh-${fn}`)!.inputs.environment.variables,
    ]),
  );

  // The stack's functions as startFunctions makes them, with stand-in handlers: no threads, no Java.
  const standIn = async () => ({});
  functions = await startFunctions({
    handlers: byName(FUNCTION_NAMES.map((fn) => [fn, standIn])),
    threads: byName(FUNCTION_NAMES.map((fn) => [fn, 0])),
    env: {},
    region: 'us-east-1',
    faults: new FaultInjector(),
    stats: new LocalStats(),
    log: silentLog,
    onFatal: () => {},
  });
  const { lambdas } = functions;
  const nameOf = new Map(FUNCTION_NAMES.map((fn) => [lambdas[fn], fn]));
  local = {
    routes: Object.fromEntries(
      Object.entries(routeBindings(lambdas)).map(([routeKey, route]) => [
        routeKey,
        { fn: nameOf.get(route.fn)!, twoWay: route.twoWay },
      ]),
    ),
    timeoutSeconds: byName(FUNCTION_NAMES.map((fn) => [fn, lambdas[fn].timeoutSeconds])),
    modules: byName(FUNCTION_NAMES.map((fn) => [fn, functionModule(fn)])),
    topicSubscriber: TOPIC_SUBSCRIBER,
    scheduled: { fn: SCHEDULED_FUNCTION, everySeconds: DEFAULT_SCHEDULE_SECONDS },
    authorizer: authorizerOf(authorizerBinding(lambdas, { MESH_AUTH_API_KEYS: API_KEYS })),
    http: httpOf(httpBinding(lambdas, { MESH_AUTH_API_KEYS: API_KEYS })),
  };
  function httpOf(binding: ReturnType<typeof httpBinding<(typeof lambdas)[FunctionName]>>) {
    if (!binding.authorizer) throw new Error('the local HTTPS endpoint runs no authorizer though a credential is set');
    const authorizer = { fn: nameOf.get(binding.authorizer.fn)!, queryParameter: binding.authorizer.queryParameter };
    // local/http-api.ts serves HTTP_ROUTE alone.
    return { routeKey: HTTP_ROUTE.routeKey, fn: nameOf.get(binding.fn)!, authorizer };
  }
  function authorizerOf(binding: ReturnType<typeof authorizerBinding<(typeof lambdas)[FunctionName]>>) {
    if (!binding) throw new Error('the local stack wires no authorizer though a credential is set');
    // The gateway runs the authorizer on the upgrade, which is $connect's (local/admission.ts).
    return { fn: nameOf.get(binding.fn)!, routeKey: '$connect', queryParameter: binding.queryParameter };
  }
}, 60_000);

afterAll(() => functions?.stop());

describe('the local stack and the Pulumi program', () => {
  it('have the same routes, each to the same function, answering the caller alike', () => {
    expect(Object.keys(local.routes).sort()).toEqual(Object.keys(deployed.routes).sort());
    expect(local.routes).toEqual(deployed.routes);
  });

  it("run the same handler module in each function (the Lambda bundle's entry)", () => {
    expect(local.modules).toEqual(deployed.modules);
  });

  it('give each function the same timeout', () => {
    expect(local.timeoutSeconds).toEqual(deployed.timeoutSeconds);
  });

  it('guard $connect with the same authorizer function, reading the same query parameter, when a credential is set', () => {
    expect(local.authorizer).toEqual(deployed.authorizer);
    expect(authorizerBinding(functions.lambdas, {})).toBeUndefined();
  });

  it('serve the HTTPS endpoint on the same route and function, behind the same authorizer when a credential is set', () => {
    expect(local.http).toEqual(deployed.http);
    expect(httpBinding(functions.lambdas, {}).authorizer).toBeUndefined();
  });

  it('subscribe the same function to the push topic and schedule the same one, as often', () => {
    expect(local.topicSubscriber).toBe(deployed.topicSubscriber);
    expect(local.scheduled).toEqual(deployed.scheduled);
  });

  it('set the same resource variables, and AWS sets every variable a handler reads', () => {
    const localNames = Object.keys(
      resourceEnvironment({ tableName: 't', topicArn: 'a', managementEndpoint: 'e' }),
    ).sort();
    for (const fn of FUNCTION_NAMES) {
      const names = Object.keys(deployedEnvironment[fn]);
      expect(names).toEqual(expect.arrayContaining(localNames));
      expect(names).toEqual(expect.arrayContaining([...FUNCTION_ENV, ...FUNCTIONS[fn].env]));
    }
  });
});
