/**
 * `npm run build:client`: bundles the client SDK.
 *   dist/client/mesh-client.js       ESM for browsers, minified; `ws` left out
 *   dist/client/mesh-client.node.mjs  ESM for Node; imports `ws` at run time
 * Fails if the browser bundle pulls in `ws` or `zod` (the protocol's schemas
 * are for the server; the client needs only its types and limits).
 */
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'client/index.ts');
const outDir = path.join(root, 'dist/client');

/** Browsers have a native WebSocket: `import('ws')` resolves to an empty module. */
const noWs: Plugin = {
  name: 'no-ws',
  setup(plugin) {
    plugin.onResolve({ filter: /^ws$/ }, () => ({ path: 'ws', namespace: 'no-ws' }));
    plugin.onLoad({ filter: /.*/, namespace: 'no-ws' }, () => ({ contents: 'export default null;', loader: 'js' }));
  },
};

/** The browser bundle's options (the browser test builds with the same ones, in memory). */
export function browserBuildOptions(): BuildOptions & { metafile: true } {
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
    tsconfig: path.join(root, 'tsconfig.json'),
    plugins: [noWs],
    logLevel: 'warning',
  };
}

async function main(): Promise<void> {
  const browser = await build(browserBuildOptions());
  assertLeftOut(browser.metafile, ['node_modules/zod', 'node_modules/ws']);

  await build({
    entryPoints: [entry],
    outfile: path.join(outDir, 'mesh-client.node.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: ['node20'],
    sourcemap: true,
    external: ['ws'],
    tsconfig: path.join(root, 'tsconfig.json'),
    logLevel: 'warning',
  });

  for (const file of ['mesh-client.js', 'mesh-client.node.mjs']) {
    const full = path.join(outDir, file);
    const bytes = statSync(full).size;
    const gzipped = gzipSync(readFileSync(full)).length;
    console.log(`dist/client/${file}: ${kb(bytes)} (${kb(gzipped)} gzipped)`);
  }
}

function assertLeftOut(metafile: Metafile, forbidden: string[]): void {
  const inputs = Object.keys(metafile.inputs);
  for (const name of forbidden) {
    const found = inputs.filter((input) => input.includes(name));
    if (found.length > 0) throw new Error(`the browser bundle must not contain ${name}: ${found.join(', ')}`);
  }
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
