/**
 * The Origin allow-list on the local stack, as API Gateway runs it: the
 * short stack lists one origin, so a page of another origin is refused at
 * the upgrade (HTTP 403, no connection), and the main stack, with the list
 * off (the default), takes any. The HTTPS endpoint allows the same origins:
 * its CORS answers only the listed one, and refuses what another sends anyway.
 */
import { ProtocolHttp } from '#tools/protocol-http';
import { ProtocolSocket } from '#tools/protocol-socket';
import { SHORT_STACK_ALLOWED_ORIGIN, TEST_ENV, testEnv } from '../test-env';

jest.setTimeout(30_000);

const opened: ProtocolSocket[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((socket) => socket.close()));
});

async function connectAs(url: string, origin?: string): Promise<ProtocolSocket> {
  const socket = await ProtocolSocket.connect(url, { ws: origin === undefined ? {} : { origin } });
  opened.push(socket);
  return socket;
}

describe('with MESH_ALLOWED_ORIGINS set', () => {
  const url = () => testEnv(TEST_ENV.short.wsUrl);

  it('refuses a page of another origin at the upgrade with 403', async () => {
    await expect(connectAs(url(), 'https://evil.example')).rejects.toThrow('connect refused with HTTP 403');
  });

  it('accepts the listed origin, and a program that sends no Origin, and both are answered', async () => {
    const page = await connectAs(url(), SHORT_STACK_ALLOWED_ORIGIN);
    const program = await connectAs(url());

    await expect(page.call('createDomain', {})).resolves.toEqual(expect.any(String));
    await expect(program.call('createDomain', {})).resolves.toEqual(expect.any(String));
  });
});

describe('the HTTPS endpoint with MESH_ALLOWED_ORIGINS set', () => {
  const http = () => new ProtocolHttp(testEnv(TEST_ENV.short.httpUrl));
  const createDomain = JSON.stringify({ action: 'createDomain' });

  it('answers the preflight of the listed origin, and not of another', async () => {
    const preflight = (origin: string) =>
      fetch(testEnv(TEST_ENV.short.httpUrl), {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    const listed = await preflight(SHORT_STACK_ALLOWED_ORIGIN);
    const other = await preflight('https://evil.example');

    expect(listed.headers.get('access-control-allow-origin')).toBe(SHORT_STACK_ALLOWED_ORIGIN);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses what a page of another origin sends anyway with 403, and answers the listed one and a program', async () => {
    await expect(http().post(createDomain, undefined, { origin: 'https://evil.example' })).resolves.toMatchObject({
      status: 403,
      reply: { errorType: 'Unauthorized' },
    });
    await expect(http().post(createDomain, undefined, { origin: SHORT_STACK_ALLOWED_ORIGIN })).resolves.toMatchObject({
      status: 200,
    });
    await expect(http().post(createDomain)).resolves.toMatchObject({ status: 200 });
  });
});

describe('with the allow-list off (the default)', () => {
  it('accepts any origin', async () => {
    const page = await connectAs(testEnv(TEST_ENV.main.wsUrl), 'https://evil.example');

    await expect(page.call('createDomain', {})).resolves.toEqual(expect.any(String));
  });
});
