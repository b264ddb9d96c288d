/**
 * Where the Lambda bundles live: `npm run build:lambdas` (infra/build.ts)
 * writes them, the Pulumi program uploads them. Kept free of Pulumi so the
 * build script loads fast.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
// Relative, not '#shared/...': Pulumi's TypeScript loader does not read tsconfig paths.
import { FUNCTION_NAMES, type FunctionName } from '../shared/topology';

export { FUNCTION_NAMES, type FunctionName };

/** The repository root (this file is infra/bundles.ts). */
export const PROJECT_ROOT = resolve(__dirname, '..');

/** Default output folder of the build, relative to the project root. */
export const DEFAULT_BUNDLE_DIR = 'dist/lambda';

/** Folder of one function's bundle: `{bundleDir}/{fn}`, holding index.js and index.js.map. */
export function bundleFolder(fn: FunctionName, bundleDir: string = DEFAULT_BUNDLE_DIR): string {
  return resolve(PROJECT_ROOT, bundleDir, fn);
}

/** Throws, naming the fix, unless every function's index.js exists under bundleDir. */
export function assertBundlesBuilt(bundleDir: string = DEFAULT_BUNDLE_DIR): void {
  const missing = FUNCTION_NAMES.filter((fn) => !existsSync(join(bundleFolder(fn, bundleDir), 'index.js')));
  if (missing.length > 0) {
    throw new Error(
      `Lambda bundles missing in ${resolve(PROJECT_ROOT, bundleDir)} (${missing.join(', ')}): run \`npm run build\` first`,
    );
  }
}
