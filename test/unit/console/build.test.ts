/** The console page's build (console/build.ts): one small script, uPlot's stylesheet, the page naming both. */
import { buildConsole, CONSOLE_FILES } from '../../../console/build';

/** Well above today's bundle (uPlot is most of it), low enough to notice a heavy dependency slipping in. */
const MAX_JS_BYTES = 150 * 1024;

describe('buildConsole', () => {
  let built: Awaited<ReturnType<typeof buildConsole>>;

  beforeAll(async () => {
    built = await buildConsole();
  }, 60_000);

  it('bundles the page into one script under the size budget', () => {
    const js = Buffer.byteLength(built.js);
    const css = Buffer.byteLength(built.css);
    console.log(`console bundle: app.js ${js} bytes, app.css ${css} bytes`);

    expect(js).toBeGreaterThan(0);
    expect(js).toBeLessThan(MAX_JS_BYTES);
    expect(built.js).toContain('MIT licensed');
  });

  it("emits uPlot's stylesheet as app.css", () => {
    expect(built.css).toContain('.uplot');
  });

  it('serves a page that loads both files relatively', () => {
    expect(built.html).toContain('src="app.js"');
    expect(built.html).toContain('href="app.css"');
    expect(built.html).toContain('id="app"');
  });

  it('describes every file with its content type', () => {
    expect(CONSOLE_FILES.map((file) => [file.name, built[file.part].length > 0])).toEqual([
      ['index.html', true],
      ['app.js', true],
      ['app.css', true],
    ]);
  });

  it('leaves the Node-only modules out of the browser script', () => {
    expect(built.js).not.toMatch(/require\(["'](node:|ws|zod)/);
  });
});
