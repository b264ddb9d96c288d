/**
 * `npm run build:client [outDir]`: builds the client SDK as an npm package,
 * into dist/client/ unless another folder is named:
 *   mesh-client.js        ESM for browsers, minified; `ws` left out (exports: `browser`, `default`)
 *   mesh-client.node.mjs  ESM for Node; imports `ws` at run time (exports: `node`)
 *   index.d.ts            the declarations, one self-contained file (exports: `types`)
 *   package.json          client/package.dist.json
 *   README.md             client/PACKAGE.md
 * The folder is then ready for `npm pack` or `npm install <folder>`; only what
 * the manifest's `files` lists (and package.json, README.md) is packed.
 *
 * Fails if the browser bundle pulls in `ws` or `zod` (the protocol's schemas
 * are for the server; the client needs only its types and limits), if the
 * declarations do not compile on their own (a `#shared/*` path or zod would
 * not resolve for a user), or if the manifest names a file the build did not
 * write.
 */
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { generateDtsBundle } from 'dts-bundle-generator';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'client/index.ts');
const tsconfig = path.join(root, 'tsconfig.json');
/** Where `npm run build:client` puts the package when no folder is named. */
const DEFAULT_OUT_DIR = path.join(root, 'dist/client');
/** The package's manifest and README, copied as they are. */
const MANIFEST = path.join(root, 'client/package.dist.json');
const PACKAGE_README = path.join(root, 'client/PACKAGE.md');

/** Browsers have a native WebSocket: `import('ws')` resolves to an empty module. */
const noWs: Plugin = {
  name: 'no-ws',
  setup(plugin) {
    plugin.onResolve({ filter: /^ws$/ }, () => ({ path: 'ws', namespace: 'no-ws' }));
    plugin.onLoad({ filter: /.*/, namespace: 'no-ws' }, () => ({ contents: 'export default null;', loader: 'js' }));
  },
};

/** The browser bundle's options (the browser test builds with the same ones, in memory). */
export function browserBuildOptions(outDir = DEFAULT_OUT_DIR): BuildOptions & { metafile: true } {
  return {
    entryPoints: [entry],
    outfile: path.join(outDir, 'mesh-client.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    sourcemap: true,
    metafile: true,
    tsconfig,
    plugins: [noWs],
    logLevel: 'warning',
  };
}

function nodeBuildOptions(outDir: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile: path.join(outDir, 'mesh-client.node.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: ['node20'],
    sourcemap: true,
    external: ['ws'],
    tsconfig,
    logLevel: 'warning',
  };
}

/**
 * The declarations of client/index.ts as one file, by dts-bundle-generator:
 * what the `#shared/protocol/*` paths point at is inlined, and only what
 * index.ts exports is exported.
 */
function bundleDeclarations(): string {
  const [declarations] = generateDtsBundle(
    [{ filePath: entry, output: { noBanner: true, exportReferencedTypes: false } }],
    { preferredConfigPath: tsconfig },
  );
  return declarations;
}

/**
 * The declarations compile on their own: with no type library but ES2022's
 * (no DOM, no @types/node) and no module resolution, so an import of anything
 * (a `#shared/*` path, zod, ws) or a name left dangling fails the build.
 */
function assertSelfContained(file: string): void {
  const program = ts.createProgram([file], {
    noEmit: true,
    strict: true,
    skipLibCheck: false,
    noResolve: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length === 0) return;
  const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
  throw new Error(`the declarations must compile on their own:\n${ts.formatDiagnostics(diagnostics, host)}`);
}

/** Builds the whole package into `outDir`. */
async function buildClientPackage(outDir = DEFAULT_OUT_DIR): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const browser = await build(browserBuildOptions(outDir));
  assertLeftOut(browser.metafile, ['node_modules/zod', 'node_modules/ws']);
  await build(nodeBuildOptions(outDir));
  writeFileSync(path.join(outDir, 'index.d.ts'), bundleDeclarations());
  assertSelfContained(path.join(outDir, 'index.d.ts'));
  copyFileSync(MANIFEST, path.join(outDir, 'package.json'));
  copyFileSync(PACKAGE_README, path.join(outDir, 'README.md'));
  assertManifestFilesExist(outDir);
}

function assertLeftOut(metafile: Metafile, forbidden: string[]): void {
  const inputs = Object.keys(metafile.inputs);
  for (const name of forbidden) {
    const found = inputs.filter((input) => input.includes(name));
    if (found.length > 0) throw new Error(`the browser bundle must not contain ${name}: ${found.join(', ')}`);
  }
}

interface Manifest {
  main: string;
  types: string;
  files: string[];
  exports: Record<string, string | Record<string, string>>;
}

/** Every path the manifest names (main, types, exports, files) was written. */
function assertManifestFilesExist(outDir: string): void {
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest;
  const targets = Object.values(manifest.exports).flatMap((target) =>
    typeof target === 'string' ? [target] : Object.values(target),
  );
  const named = [manifest.main, manifest.types, ...manifest.files, ...targets];
  const missing = [...new Set(named)].filter((file) => !existsSync(path.join(outDir, file)));
  if (missing.length > 0) {
    throw new Error(`${path.relative(root, MANIFEST)} names files the build did not write: ${missing.join(', ')}`);
  }
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? DEFAULT_OUT_DIR);
  await buildClientPackage(outDir);
  for (const file of ['mesh-client.js', 'mesh-client.node.mjs', 'index.d.ts']) {
    const full = path.join(outDir, file);
    const content = readFileSync(full);
    console.log(
      `${path.relative(process.cwd(), full)}: ${kb(content.length)} (${kb(gzipSync(content).length)} gzipped)`,
    );
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
