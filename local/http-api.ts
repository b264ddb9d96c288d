/**
 * The HTTPS endpoint's stand-in (API Gateway's HTTP API, shared/topology.ts's
 * HTTP_ROUTE), answering as the deployed one does:
 *   - `POST /` invokes the http function with a payload-2.0 proxy event and
 *     answers with what it returns (status, headers, body);
 *   - the $connect authorizer's function, when on, runs first on the same
 *     query parameter (connect-authorizer.ts): 401, 403 or 500 when it
 *     refuses, else its context reaches the function as
 *     `requestContext.authorizer.lambda`;
 *   - CORS as the API's configuration has it: a preflight from an allowed
 *     origin (any when the list is empty) gets 204 and the allow headers,
 *     and every answer to an allowed origin names it;
 *   - any other method or path: 404; a function that fails: 500.
 * Plain HTTP on the loopback: TLS is API Gateway's part.
 */
import http from 'node:http';
import { HTTP_ROUTE } from '#shared/topology';
import { authorizeUpgrade, type LocalAuthorizer } from './connect-authorizer';
import type { LocalLambda } from './lambda';
import type { Log } from './log';
import { close, listen, LOCAL_HOST, readBody, requestId } from './net';
import { sourceIpOf } from './proxy-events';

export interface HttpApiOptions {
  port: number;
  host?: string;
  fn: LocalLambda;
  authorizer?: LocalAuthorizer;
  /** The origins CORS allows; none: any. */
  allowedOrigins: readonly string[];
  region: string;
  log: Log;
}

export interface LocalHttpApi {
  /** Where clients POST: `http://127.0.0.1:{port}/`. */
  url: string;
  stop(): Promise<void>;
}

const API_ID = 'meshhttp0';
/** As infra/components/http-api.ts declares CORS: one method, a JSON body, preflights kept 10 minutes. */
const CORS_HEADERS = {
  'access-control-allow-methods': HTTP_ROUTE.method,
  'access-control-allow-headers': 'content-type',
  'access-control-max-age': '600',
};

export async function startHttpApi(options: HttpApiOptions): Promise<LocalHttpApi> {
  const server = http.createServer((req, res) => {
    serve(req, options).then(
      (answer) => res.writeHead(answer.status, answer.headers).end(answer.body),
      (error) => {
        options.log('http', `request failed: ${String(error)}`);
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal Server Error"}');
      },
    );
  });
  const host = options.host ?? LOCAL_HOST;
  const port = await listen(server, options.port, host);
  return { url: `http://${host}:${port}${HTTP_ROUTE.path}`, stop: () => close(server) };
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function serve(req: http.IncomingMessage, options: HttpApiOptions): Promise<Answer> {
  const origin = req.headers.origin;
  const cors = corsHeaders(origin, options.allowedOrigins);
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method']) {
    return { status: 204, headers: cors, body: '' };
  }
  if (req.method !== HTTP_ROUTE.method || url.pathname !== HTTP_ROUTE.path) {
    return message(404, 'Not Found', cors);
  }
  const body = (await readBody(req)).toString('utf8');
  const event = proxyEvent(req, url, body);
  if (options.authorizer) {
    const methodArn = `arn:aws:execute-api:${options.region}:000000000000:${API_ID}/$default/${HTTP_ROUTE.method}${HTTP_ROUTE.path}`;
    const outcome = await authorizeUpgrade(options.authorizer, event, methodArn);
    if (outcome.status !== 200) {
      return message(outcome.status, outcome.status === 500 ? 'Internal Server Error' : 'Unauthorized', cors);
    }
    event.requestContext.authorizer = { lambda: outcome.authorizer };
  }
  let result: { statusCode?: number; headers?: Record<string, string>; body?: string } | undefined;
  try {
    result = (await options.fn.invoke(event)) as typeof result;
  } catch {
    return message(500, 'Internal Server Error', cors);
  }
  return {
    status: result?.statusCode ?? 200,
    headers: { ...(result?.headers ?? {}), ...cors },
    body: result?.body ?? '',
  };
}

/** The CORS headers for a request from `origin`: none when it sent none or is not allowed. */
function corsHeaders(origin: string | undefined, allowed: readonly string[]): Record<string, string> {
  if (origin === undefined) return {};
  if (allowed.length > 0 && !allowed.includes(origin.toLowerCase())) return {};
  return { 'access-control-allow-origin': allowed.length > 0 ? origin : '*', ...CORS_HEADERS, vary: 'origin' };
}

function message(status: number, text: string, headers: Record<string, string>): Answer {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ message: text }),
  };
}

/** API Gateway's payload-2.0 event of an HTTP API request (headers lower-cased, as it passes them). */
function proxyEvent(req: http.IncomingMessage, url: URL, body: string) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: HTTP_ROUTE.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.fromEntries(url.searchParams),
    requestContext: {
      apiId: API_ID,
      stage: '$default',
      requestId: requestId(),
      routeKey: HTTP_ROUTE.routeKey,
      timeEpoch: now,
      http: {
        method: req.method ?? HTTP_ROUTE.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: sourceIpOf(req),
        userAgent: headers['user-agent'] ?? '',
      },
      authorizer: undefined as { lambda: Record<string, string | number | boolean> } | undefined,
    },
    body,
    isBase64Encoded: false,
  };
}
