/**
 * The console-site function (handlers/console-site.ts): the page's files by
 * name under /console/, each with its content type and the page's security
 * headers, index.html for /console/, a redirect from /console, 404 for any
 * other name; answered by the request's rawPath whichever route matched.
 * Events are the HTTP API's payload 2.0 (the http fixture, re-aimed).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CONSOLE_FILES } from '../../../console/build';
import { consoleSiteHandler, CONTENT_SECURITY_POLICY, type PageFile } from '../../../handlers/console-site';
import { fixture } from './support';

/** The page's files as CONSOLE_FILES names and types them, with stand-in bodies. */
const FILES: PageFile[] = CONSOLE_FILES.map((file) => ({
  name: file.name,
  contentType: file.contentType,
  body: `the ${file.name} of the test`,
}));

const handler = consoleSiteHandler(FILES);

/** A GET as the HTTP API hands it over: `routeKey` is the route that matched, `rawPath` what was asked. */
function get(rawPath: string, options: { routeKey?: string; headers?: Record<string, string> } = {}) {
  const event = fixture<APIGatewayProxyEventV2>('http.json');
  const routeKey = options.routeKey ?? (rawPath === '/console' ? 'GET /console' : 'GET /console/{file}');
  event.routeKey = routeKey;
  event.rawPath = rawPath;
  event.body = undefined;
  event.headers = { ...event.headers, ...options.headers };
  event.requestContext = {
    ...event.requestContext,
    routeKey,
    http: { ...event.requestContext.http, method: 'GET', path: rawPath },
  };
  return handler(event) as Promise<APIGatewayProxyStructuredResultV2 & { headers: Record<string, string> }>;
}

const SECURITY = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

describe('the console-site function', () => {
  it.each(CONSOLE_FILES.map((file) => [file.name, file.contentType]))(
    'serves %s as %s, revalidated on every load, with the security headers',
    async (name, contentType) => {
      const answer = await get(`/console/${name}`);

      expect(answer.statusCode).toBe(200);
      expect(answer.body).toBe(`the ${name} of the test`);
      expect(answer.headers).toMatchObject({ ...SECURITY, 'content-type': contentType, 'cache-control': 'no-cache' });
      expect(answer.headers.etag).toMatch(/^"[\w-]+"$/);
    },
  );

  it('serves index.html for /console/, even when API Gateway matched the route of /console', async () => {
    const index = await get('/console/index.html');
    for (const routeKey of ['GET /console/{file}', 'GET /console']) {
      const answer = await get('/console/', { routeKey });

      expect(answer.statusCode).toBe(200);
      expect(answer.body).toBe(index.body);
      expect(answer.headers).toEqual(index.headers);
    }
  });

  it('redirects /console to /console/, where the page finds app.js and app.css by their relative names', async () => {
    const answer = await get('/console');

    expect(answer.statusCode).toBe(301);
    expect(answer.headers).toEqual({ ...SECURITY, location: '/console/' });
    expect(answer.body).toBe('');
  });

  it.each(['/console/missing.js', '/console/app.js/', '/console/view/app.js', '/console/INDEX.HTML', '/console//'])(
    'answers %s with 404 and the security headers',
    async (path) => {
      const answer = await get(path);

      expect(answer.statusCode).toBe(404);
      expect(answer.headers).toEqual({ ...SECURITY, 'content-type': 'text/plain; charset=utf-8' });
      expect(answer.body).toBe('Not Found');
    },
  );

  it('answers 304 without a body when the browser holds the same file, by its ETag (weak or in a list)', async () => {
    const { headers } = await get('/console/app.js');
    for (const ifNoneMatch of [headers.etag, `W/${headers.etag}`, `"another", ${headers.etag}`, '*']) {
      const answer = await get('/console/app.js', { headers: { 'if-none-match': ifNoneMatch } });

      expect(answer.statusCode).toBe(304);
      expect(answer.body).toBe('');
      expect(answer.headers).toEqual({ ...SECURITY, 'cache-control': 'no-cache', etag: headers.etag });
    }
  });

  it('sends the file again when the browser holds another version of it', async () => {
    const { headers: css } = await get('/console/app.css');
    const answer = await get('/console/app.js', { headers: { 'if-none-match': css.etag } });

    expect(answer.statusCode).toBe(200);
    expect(answer.body).toBe('the app.js of the test');
  });

  it('gives every file its own ETag, which changes with the file', async () => {
    const tags = await Promise.all(FILES.map(async (file) => (await get(`/console/${file.name}`)).headers.etag));
    expect(new Set(tags).size).toBe(FILES.length);

    const changed = consoleSiteHandler(FILES.map((file) => ({ ...file, body: `${file.body}, changed` })));
    const event = fixture<APIGatewayProxyEventV2>('http.json');
    event.rawPath = '/console/app.js';
    const answer = (await changed(event)) as { headers: Record<string, string> };
    expect(answer.headers.etag).not.toBe(tags[FILES.findIndex((file) => file.name === 'app.js')]);
  });

  it('lets the page load only its own script and styles (and inline styles), connect only to wss: and https:, and not be framed', () => {
    const directives = Object.fromEntries(
      CONTENT_SECURITY_POLICY.split('; ').map((directive) => {
        const [name, ...values] = directive.split(' ');
        return [name, values];
      }),
    );
    expect(directives).toEqual({
      'default-src': ["'none'"],
      'script-src': ["'self'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:'],
      'connect-src': ['wss:', 'https:'],
      'base-uri': ["'none'"],
      'form-action': ["'none'"],
      'frame-ancestors': ["'none'"],
    });
  });

  it('refuses, on cold start, a page without index.html', () => {
    expect(() => consoleSiteHandler(FILES.filter((file) => file.name !== 'index.html'))).toThrow(
      /the console page has no index\.html/,
    );
  });
});
