/**
 * The operator console's page in AWS: `GET /console` and `GET /console/{file}`
 * of the HTTPS endpoint's HTTP API (infra/components/console-site.ts),
 * answered from memory. The page's three files (console/build.ts) are built
 * at `npm run build` and compiled into this function's bundle: infra/build.ts
 * generates the bundle's entry, which hands them to consoleSiteHandler. So
 * the function reads nothing and calls nothing, and its role may only write
 * its log.
 *
 * The answer is chosen by `rawPath`, not by the route that matched: which of
 * the two routes a request for `/console/` reaches is API Gateway's matching
 * (which may disregard the trailing slash), while rawPath keeps the slash.
 * So `/console` is redirected to `/console/` (where index.html's relative
 * names resolve), and `/console/` is the page, never a redirect to itself.
 *
 * Every answer forbids MIME sniffing, framing and sending a referrer (the
 * admin token may sit in the page's hash: index.html asks the same in a meta
 * tag). The page may load only its own script and styles and connect only to
 * wss: and https: endpoints; index.html has an inline <style>, hence
 * style-src 'unsafe-inline', and no inline script. Each file is revalidated
 * on every load (`no-cache`, with an ETag, so an unchanged file costs a 304):
 * the names carry no content hash, and an index.html from one deployment
 * must not run another one's app.js.
 *
 * No '#shared/…' imports: the Pulumi program imports CONSOLE_PATH from here,
 * and Pulumi's TypeScript loader does not read tsconfig paths.
 */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** One file of the page: its name under CONSOLE_PATH, its content type (console/build.ts's CONSOLE_FILES) and its text. */
export interface PageFile {
  name: string;
  contentType: string;
  body: string;
}

/** Where the page is: `/console/` serves index.html, `/console/{name}` each file. */
export const CONSOLE_PATH = '/console';

/** The file `/console/` answers with. */
export const INDEX_FILE = 'index.html';

/** What the page may load and reach: its own files, and the WebSocket (or HTTPS) endpoint it is given. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  'connect-src wss: https:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The headers of every answer, the 404 and the redirect included. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export type ConsoleSiteHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

interface Served {
  file: PageFile;
  etag: string;
}

/** The function's handler, serving `files`; throws at once (on cold start) when they have no index.html. */
export function consoleSiteHandler(files: readonly PageFile[]): ConsoleSiteHandler {
  const byPath = new Map<string, Served>(
    files.map((file) => [`${CONSOLE_PATH}/${file.name}`, { file, etag: etagOf(file.body) }]),
  );
  const index = byPath.get(`${CONSOLE_PATH}/${INDEX_FILE}`);
  if (index === undefined) throw new Error(`the console page has no ${INDEX_FILE}`);
  byPath.set(`${CONSOLE_PATH}/`, index);

  return async function consoleSite(event) {
    if (event.rawPath === CONSOLE_PATH) {
      return { statusCode: 301, headers: { ...SECURITY_HEADERS, location: `${CONSOLE_PATH}/` }, body: '' };
    }
    const served = byPath.get(event.rawPath);
    if (served === undefined) {
      return {
        statusCode: 404,
        headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' },
        body: 'Not Found',
      };
    }
    const headers = { ...SECURITY_HEADERS, 'cache-control': 'no-cache', etag: served.etag };
    if (matches(event.headers?.['if-none-match'], served.etag)) return { statusCode: 304, headers, body: '' };
    return {
      statusCode: 200,
      headers: { ...headers, 'content-type': served.file.contentType },
      body: served.file.body,
    };
  };
}

/** A strong ETag of a file's text. */
function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** Whether an If-None-Match header names the ETag (a list, possibly weak: W/"…"), or is `*`. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === etag || tag === '*');
}
