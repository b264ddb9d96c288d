/**
 * The console page's entry: the parameters from the hash (or what the form
 * saved), then either the running console or the form asking for them.
 */
import { LiveConsole } from './live-console';
import { type ConsoleParams, parseHash, parseStored, resolveParams, STORAGE_KEY } from './params';
import { connectForm } from './view/connect-form';

function stored(): Partial<ConsoleParams> {
  try {
    return parseStored(sessionStorage.getItem(STORAGE_KEY));
  } catch {
    return {}; // Storage refused (a private window's policy): the form asks every time.
  }
}

function save(params: ConsoleParams): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(params));
  } catch {
    // Not kept: this tab's console still runs; a reload asks again.
  }
}

function ask(root: HTMLElement, defaults: Partial<ConsoleParams>, message: string): void {
  root.replaceChildren(
    connectForm(defaults, message, (params) => {
      save(params);
      run(root, params);
    }),
  );
}

function run(root: HTMLElement, params: ConsoleParams): void {
  const live = new LiveConsole(root, {
    params,
    onUnauthorized: (message) => {
      window.removeEventListener('pagehide', leave);
      ask(root, { ...params, adminToken: '' }, `The server refused the token: ${message}`);
    },
  });
  // pagehide, not unload: it also fires when the page goes into the back/forward cache.
  const leave = () => live.stop();
  window.addEventListener('pagehide', leave);
  live.start();
}

function main(): void {
  const root = document.getElementById('app');
  if (root === null) throw new Error('the page has no #app element');
  const fromHash = parseHash(location.hash);
  const params = resolveParams(fromHash, stored());
  if (params === null) {
    ask(root, { ...stored(), ...fromHash }, 'Connect to a Mesh deployment with its admin token.');
    return;
  }
  run(root, params);
}

main();
// A page back from the back/forward cache had stopped watching, and a new hash names other parameters: start afresh.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) location.reload();
});
window.addEventListener('hashchange', () => location.reload());
