/**
 * The $connect authorizer on the local stack, as API Gateway runs it: a stack
 * of its own with all three kinds of credential configured (API keys, an
 * HS256 secret, and the JWKS URL of an identity provider served here).
 * Without a valid credential the upgrade is refused with 401 and no
 * connection exists; with one, its claims are bound to the connection, so a
 * token naming domains keeps its holder to them. The JWKS is fetched once
 * for many connections. (Every other suite runs with the authorizer off,
 * the default, and connects without any credential.)
 */
import { SignJWT, type JWTPayload } from 'jose';
import { MeshClient } from '#client/index';
import { type StackProcess, startStackProcess } from '#local/stack-process';
import { withCredential } from '#shared/protocol/connect';
import type { MeshEvent } from '#shared/protocol/types';
import { ProtocolHttp } from '#tools/protocol-http';
import { ProtocolSocket } from '#tools/protocol-socket';
import { type JwksServer, startJwksServer } from '../jwks-server';
import { readStats } from '../stats';
import { uniqueId } from '../ws-client';

jest.setTimeout(120_000);

const JWT_SECRET = 'the-hs256-secret-of-the-authorizer-suite-01';
const API_KEY = 'the-api-key-of-the-authorizer-suite-0123456';

let stack: StackProcess | undefined;
let jwks: JwksServer;
const sockets: ProtocolSocket[] = [];
const clients: MeshClient[] = [];

beforeAll(async () => {
  jwks = await startJwksServer();
  stack = await startStackProcess({
    env: {
      MESH_TABLE_NAME: 'mesh_authorizer',
      MESH_AUTH_API_KEYS: `operator:${API_KEY}`,
      MESH_AUTH_JWT_SECRET: JWT_SECRET,
      MESH_AUTH_JWKS_URL: jwks.url,
    },
  });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(sockets.splice(0).map((socket) => socket.close()));
});

afterAll(async () => {
  await stack?.stop(10_000);
  await jwks?.stop();
});

const wsUrl = () => stack!.ready.wsUrl;

function hs256(claims: JWTPayload, options: { secret?: string; expiresAt?: number | string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(options.expiresAt ?? '5m')
    .sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
}

async function connectWith(credential?: string): Promise<ProtocolSocket> {
  const socket = await ProtocolSocket.connect(credential === undefined ? wsUrl() : withCredential(wsUrl(), credential));
  sockets.push(socket);
  return socket;
}

const refusal = (credential?: string) =>
  connectWith(credential).then(
    () => 'connected',
    (error: Error) => error.message,
  );

describe('with the authorizer on', () => {
  it('refuses at the upgrade, with 401, every connection without a valid credential', async () => {
    const refusedBefore = await stats();
    const cases = {
      none: undefined,
      'a wrong API key': 'not-the-api-key-of-the-authorizer-suite-00',
      'an HS256 token of another secret': await hs256(
        { sub: 'x' },
        { secret: 'another-secret-of-the-authorizer-suite' },
      ),
      'an expired HS256 token': await hs256({ sub: 'x' }, { expiresAt: Math.floor(Date.now() / 1000) - 60 }),
      'an RS256 token signed by another key under the same key id': await jwks.sign({ sub: 'x' }, { forged: true }),
      'garbage shaped like a JWT': 'a.b.c',
    };

    const answers = Object.fromEntries(
      await Promise.all(Object.entries(cases).map(async ([what, credential]) => [what, await refusal(credential)])),
    );

    expect(answers).toEqual(
      Object.fromEntries(Object.keys(cases).map((what) => [what, 'connect refused with HTTP 401'])),
    );
    expect((await stats()).connectionsRefused - refusedBefore.connectionsRefused).toBe(Object.keys(cases).length);
    expect((await stats()).connectionsCurrent).toBe(refusedBefore.connectionsCurrent);
  });

  it('accepts an RS256 token of the identity provider, and fetches its keys once for many connections', async () => {
    const pupils = await Promise.all(
      ['p1', 'p2', 'p3', 'p4'].map(async (sub) => connectWith(await jwks.sign({ sub }))),
    );

    for (const pupil of pupils) await expect(pupil.call('createDomain', {})).resolves.toEqual(expect.any(String));
    // One fetch in the whole suite (the forged token of the refusal test may have been the one to load the keys).
    expect(jwks.fetches()).toBe(1);
  });

  it("binds a token's domains to its connection: createDomain answers the first, any other domain is refused and nothing changes", async () => {
    const teacher = await connectWith(await hs256({ sub: 'teacher-7', mesh_domains: ['class-5b'] }));
    const operator = await connectWith(API_KEY);
    const elsewhere = uniqueId('elsewhere');

    await expect(teacher.call('createDomain', {})).resolves.toBe('class-5b');
    await expect(
      teacher.call('createGroup', { name: 'x', hostId: uniqueId('t'), domain: elsewhere }),
    ).rejects.toMatchObject({ errorType: 'Unauthorized' });
    await expect(teacher.call('listGroupsByDomain', { domain: elsewhere })).rejects.toMatchObject({
      errorType: 'Unauthorized',
    });
    const group = await teacher.call('createGroup', { name: 'room', hostId: uniqueId('t'), domain: 'class-5b' });

    // The operator's API key allows any domain: it sees the class's group and nothing in the other domain.
    await expect(operator.call('listGroupsByDomain', { domain: elsewhere })).resolves.toEqual([]);
    const listed = (await operator.call('listGroupsByDomain', { domain: 'class-5b' })) as { id: string }[];
    expect(listed.map((g) => g.id)).toContain(group.id);
    await expect(operator.call('createDomain', {})).resolves.toMatch(/^[0-9a-f]{32}$/);
  });

  it('guards the HTTPS endpoint too: 401 without a valid credential, and a token keeps its domains there', async () => {
    const http = (credential?: string) =>
      new ProtocolHttp(
        credential === undefined ? stack!.ready.httpUrl : withCredential(stack!.ready.httpUrl, credential),
      );
    const createDomain = JSON.stringify({ action: 'createDomain' });

    await expect(http().post(createDomain)).resolves.toMatchObject({ status: 401 });
    await expect(http('not-a-credential').post(createDomain)).resolves.toMatchObject({ status: 401 });
    const teacher = http(await hs256({ sub: 'teacher-8', mesh_domains: ['class-6a'] }));
    await expect(teacher.call('createDomain', {})).resolves.toBe('class-6a');
    await expect(teacher.reply('listGroupsByDomain', { domain: uniqueId('elsewhere') })).resolves.toMatchObject({
      status: 403,
      reply: { errorType: 'Unauthorized' },
    });
    await expect(http(API_KEY).call('listGroupsByDomain', { domain: 'class-6a' })).resolves.toEqual([]);
  });

  it('carries a whole MeshClient group: tokens from a function, domain from the token, events delivered', async () => {
    const domainOf = { mesh_domains: [uniqueId('class')] };
    const host = new MeshClient({
      url: wsUrl(),
      nodeId: uniqueId('host'),
      authToken: () => hs256({ sub: 'host', ...domainOf }),
    });
    const member = new MeshClient({
      url: wsUrl(),
      nodeId: uniqueId('member'),
      authToken: () => jwks.sign({ sub: 'member', ...domainOf }),
      eventReplay: 'raw',
    });
    const locked = new MeshClient({ url: wsUrl(), nodeId: uniqueId('nobody'), reconnect: false });
    clients.push(host, member, locked);
    const got: MeshEvent[] = [];
    member.on('event', (event) => got.push(event));

    const group = await host.createGroup('with tokens');
    await member.joinGroup(group.id, group.domain);
    host.fireEvent('hello', 'from the host');
    while (got.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));

    expect(group.domain).toBe(domainOf.mesh_domains[0]);
    expect(got.map((event) => [event.name, event.payload])).toEqual([['hello', 'from the host']]);
    // A client without a token never opens: a browser learns no status for a refused upgrade, only the close.
    await expect(locked.joinGroup(group.id, group.domain)).rejects.toThrow(/could not connect/);
  });
});

/** The gateway's connection counters of this suite's stack. */
async function stats() {
  return (await readStats(stack!.ready.statsUrl)).ws;
}
