/**
 * `npm run build:lambdas`: one esbuild bundle per handler (its entry file is
 * named in shared/topology.ts), written to
 * dist/lambda/{connect,disconnect,request,http,fanout,sweep,authorize}/index.js
 * (+ index.js.map), and the console-site bundle in dist/lambda/console-site/:
 * the folders the Pulumi program uploads as Lambda archives.
 *
 * - CommonJS for node22: Lambda loads `index.handler` by require(); ES-only
 *   dependencies (@middy/core) are bundled and converted.
 * - The AWS SDK v3 is bundled, not taken from the nodejs22.x runtime: the
 *   deployed code then runs the SDK versions the tests ran, and tree-shaking
 *   (ESM entry points first) keeps only the clients and commands in use.
 *   A bundle also loads faster than the runtime's SDK packages (measured in
 *   infra/README.md).
 * - Minified, with source maps beside each bundle (mappings only, no sources).
 *   The functions use them when the stack sets mesh:enableSourceMaps.
 * - tsconfig paths (#shared/...) are resolved by esbuild.
 * - The console-site bundle is the operator console's page (console/build.ts,
 *   built here) inside its server, handlers/console-site.ts: its entry is
 *   generated (consoleSiteEntry), a module that passes the built files to
 *   consoleSiteHandler. The page thus ships in the function's code, and
 *   a deployment serves the page it was built with.
 */
import { build, type BuildOptions as BuildOptionsOfEsbuild, type Metafile } from 'esbuild';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CONSOLE_SITE_BUNDLE, DEFAULT_BUNDLE_DIR, FUNCTION_NAMES, PROJECT_ROOT, type BundleName } from './bundles';
import { buildConsole, CONSOLE_FILES } from '../console/build';
import type { PageFile } from '../handlers/console-site';
import { FUNCTIONS } from '../shared/topology';

export interface BuildOptions {
  /** Output folder; default dist/lambda under the project root. */
  outDir?: string;
  /** Leave the AWS SDK out and use the runtime's copy (for comparison only). Default: false. */
  externalSdk?: boolean;
}

export interface BundleReport {
  fn: BundleName;
  /** The bundle folder (what becomes the Lambda archive). */
  dir: string;
  bytes: number;
  gzipBytes: number;
  mapBytes: number;
}

/** esbuild's entry points: `{fn}/index` → the function's handler module (shared/topology.ts), absolute. */
export function bundleEntryPoints(): Record<string, string> {
  return Object.fromEntries(FUNCTION_NAMES.map((fn) => [`${fn}/index`, join(PROJECT_ROOT, FUNCTIONS[fn].entry)]));
}

/**
 * The console-site bundle's entry: handlers/console-site.ts's handler, given
 * the page's files, each named and typed as CONSOLE_FILES says.
 */
export function consoleSiteEntry(files: readonly PageFile[]): string {
  return [
    "import { consoleSiteHandler } from './handlers/console-site';",
    `export const handler = consoleSiteHandler(${JSON.stringify(files)});`,
    '',
  ].join('\n');
}

/** Builds every bundle into `{outDir}/{name}/index.js`; the folder is emptied first. */
export async function buildLambdas(options: BuildOptions = {}): Promise<BundleReport[]> {
  const outDir = resolve(PROJECT_ROOT, options.outDir ?? DEFAULT_BUNDLE_DIR);
  rmSync(outDir, { recursive: true, force: true });
  const common = commonOptions(options);

  const [functions, site] = await Promise.all([
    build({ ...common, entryPoints: bundleEntryPoints(), outdir: outDir }),
    buildConsolePage().then((files) =>
      build({
        ...common,
        stdin: {
          contents: consoleSiteEntry(files),
          resolveDir: PROJECT_ROOT,
          sourcefile: `${CONSOLE_SITE_BUNDLE}/index.ts`,
          loader: 'ts',
        },
        outfile: join(outDir, CONSOLE_SITE_BUNDLE, 'index.js'),
      }),
    ),
  ]);

  return [
    ...FUNCTION_NAMES.map((fn) => report(fn, outDir, functions.metafile)),
    report(CONSOLE_SITE_BUNDLE, outDir, site.metafile),
  ];
}

/** The settings every bundle is built with (see the header). */
function commonOptions(options: BuildOptions) {
  return {
    absWorkingDir: PROJECT_ROOT,
    tsconfig: join(PROJECT_ROOT, 'tsconfig.json'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    // ESM builds first: they tree-shake (the AWS SDK ships both).
    mainFields: ['module', 'main'],
    minify: true,
    treeShaking: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    external: options.externalSdk ? ['@aws-sdk/*', '@smithy/*'] : [],
    metafile: true,
    logLevel: 'warning',
  } satisfies BuildOptionsOfEsbuild;
}

/** The page as console/build.ts builds it, one PageFile per entry of CONSOLE_FILES. */
async function buildConsolePage(): Promise<PageFile[]> {
  const built = await buildConsole();
  return CONSOLE_FILES.map((file) => ({ name: file.name, contentType: file.contentType, body: built[file.part] }));
}

function report(fn: BundleName, outDir: string, metafile: Metafile): BundleReport {
  const dir = join(outDir, fn);
  const file = join(dir, 'index.js');
  const output = metafile.outputs[relative(PROJECT_ROOT, file).split('\\').join('/')];
  return {
    fn,
    dir,
    bytes: output?.bytes ?? statSync(file).size,
    gzipBytes: gzipSync(readFileSync(file)).length,
    mapBytes: statSync(`${file}.map`).size,
  };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

async function main(): Promise<void> {
  const externalSdk = process.argv.includes('--external-sdk');
  const outArg = process.argv.find((arg) => arg.startsWith('--out='));
  const reports = await buildLambdas({ externalSdk, outDir: outArg?.slice('--out='.length) });
  for (const r of reports) {
    console.log(
      `${r.fn.padEnd(12)} ${kib(r.bytes).padStart(10)}  gzip ${kib(r.gzipBytes).padStart(9)}  map ${kib(r.mapBytes).padStart(9)}  ${relative(PROJECT_ROOT, r.dir)}`,
    );
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
