/**
 * Where the Lambda bundles live: `npm run build:lambdas` (infra/build.ts)
 * writes them, the Pulumi program uploads them. One per mesh function
 * (shared/topology.ts), and the console-site bundle: the operator console's
 * page with the small function that serves it (handlers/console-site.ts),
 * which is no part of the mesh's topology (the local stack serves the page
 * itself). Kept free of Pulumi so the build script loads fast.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
// Relative, not '#shared/...': Pulumi's TypeScript loader does not read tsconfig paths.
import { FUNCTION_NAMES, type FunctionName } from '../shared/topology';

export { FUNCTION_NAMES, type FunctionName };

/** The bundle of the operator console's page (handlers/console-site.ts with the page built in). */
export const CONSOLE_SITE_BUNDLE = 'console-site';

/** Every bundle the build writes and the program uploads. */
export const BUNDLE_NAMES = [...FUNCTION_NAMES, CONSOLE_SITE_BUNDLE] as const;
export type BundleName = (typeof BUNDLE_NAMES)[number];

/** The repository root (this file is infra/bundles.ts). */
export const PROJECT_ROOT = resolve(__dirname, '..');

/** Default output folder of the build, relative to the project root. */
export const DEFAULT_BUNDLE_DIR = 'dist/lambda';

/** Folder of one bundle: `{bundleDir}/{name}`, holding index.js and index.js.map. */
export function bundleFolder(name: BundleName, bundleDir: string = DEFAULT_BUNDLE_DIR): string {
  return resolve(PROJECT_ROOT, bundleDir, name);
}

/** Throws, naming the fix, unless every bundle's index.js exists under bundleDir. */
export function assertBundlesBuilt(bundleDir: string = DEFAULT_BUNDLE_DIR): void {
  const missing = BUNDLE_NAMES.filter((name) => !existsSync(join(bundleFolder(name, bundleDir), 'index.js')));
  if (missing.length > 0) {
    throw new Error(
      `Lambda bundles missing in ${resolve(PROJECT_ROOT, bundleDir)} (${missing.join(', ')}): run \`npm run build\` first`,
    );
  }
}
