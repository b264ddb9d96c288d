/**
 * The operator console's page, served by the local stack beside its
 * counters on the Management API port: `GET /console/` (the page),
 * `/console/app.js` and `/console/app.css` (the esbuild bundle of console/,
 * built once at start). The `consoleUrl` the stack prints opens it with the
 * stack's WebSocket URL, its admin token and its counters in the fragment,
 * which never leaves the browser.
 */
import { buildConsole, CONSOLE_FILES } from '../console/build';
import { CONSOLE_PATH } from '../handlers/console-site';

export interface StaticFile {
  contentType: string;
  body: string;
}

/** The console's files by path; undefined for any other path. */
export type Site = (path: string) => StaticFile | undefined;

export async function consoleSite(): Promise<Site> {
  const built = await buildConsole();
  const files = new Map<string, StaticFile>();
  for (const file of CONSOLE_FILES)
    files.set(`${CONSOLE_PATH}/${file.name}`, { contentType: file.contentType, body: built[file.part] });
  files.set(`${CONSOLE_PATH}/`, files.get(`${CONSOLE_PATH}/index.html`)!);
  return (path) => files.get(path);
}

/** The URL that opens the console on this stack. */
export function consoleUrlOf(baseUrl: string, parts: { wsUrl: string; adminToken: string; statsUrl: string }): string {
  const fragment = new URLSearchParams({ wsUrl: parts.wsUrl, adminToken: parts.adminToken, statsUrl: parts.statsUrl });
  return `${baseUrl}${CONSOLE_PATH}/#${fragment.toString()}`;
}
