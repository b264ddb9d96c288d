/**
 * The console page as three files, built in memory: index.html as written,
 * app.js (console/app.ts and everything it imports, uPlot included, one
 * minified script for browsers) and app.css (the stylesheets it imports,
 * uPlot's). The local stack serves them at `/console/`; the Pulumi program
 * deploys the same output. index.html names the other two relatively, so
 * the page works under any path.
 */
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const here = __dirname;

/** The page's parts, as buildConsole returns them. */
export interface ConsoleBuild {
  html: string;
  js: string;
  css: string;
}

/** Each file of the page: its name under `/console/`, its content type and which part of the build it is. */
export const CONSOLE_FILES = [
  { name: 'index.html', contentType: 'text/html; charset=utf-8', part: 'html' },
  { name: 'app.js', contentType: 'text/javascript; charset=utf-8', part: 'js' },
  { name: 'app.css', contentType: 'text/css; charset=utf-8', part: 'css' },
] as const satisfies readonly { name: string; contentType: string; part: keyof ConsoleBuild }[];

/** Bundles the page. Throws on any build error; a warning is printed and does not fail it. */
export async function buildConsole(): Promise<ConsoleBuild> {
  const result = await build({
    banner: { js: await uPlotNotice() },
    entryPoints: { app: path.join(here, 'app.ts') },
    outdir: path.join(here, 'out'), // Names the outputs only: nothing is written.
    write: false,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    tsconfig: path.join(here, '..', 'tsconfig.json'),
    logLevel: 'warning',
  });
  const output = (extension: string) => {
    const file = result.outputFiles.find((candidate) => candidate.path.endsWith(`app${extension}`));
    if (file === undefined) throw new Error(`the console build wrote no app${extension}`);
    return file.text;
  };
  return { html: await readFile(path.join(here, 'index.html'), 'utf8'), js: output('.js'), css: output('.css') };
}

/**
 * uPlot's copyright line, kept in the bundle as its MIT licence asks
 * (its own header is not a legal comment, so minifying would drop it).
 */
async function uPlotNotice(): Promise<string> {
  const manifest = JSON.parse(await readFile(require.resolve('uplot/package.json'), 'utf8')) as { version: string };
  return `/*! uPlot v${manifest.version} (c) Leon Sorokin, MIT licensed: https://github.com/leeoniya/uPlot */`;
}
