/**
 * searchGroupsByNamePrefix on the core, as Mesh v2's successor behaves: live
 * groups of every domain whose name starts with the prefix, case-sensitive,
 * by name, at most 10 (fewer when `limit` asks for fewer); a group whose
 * host heartbeat lapsed is not live; a credential bound to domains sees only
 * theirs; a prefix of 0 or more than 6 characters is a ValidationError.
 */
import { runAction } from '#shared/core/actions';
import { parseRequest } from '#shared/protocol/requests';
import type { Group } from '#shared/protocol/types';
import { fakeWorld, type FakeWorld } from './fakes';
import { caller, createGroup, send } from './driver';

let world: FakeWorld;
beforeEach(() => {
  world = fakeWorld();
});

const search = (namePrefix: string, limit?: number) =>
  send<Group[]>(world, 'c-any', { action: 'searchGroupsByNamePrefix', namePrefix, limit });
const names = (groups: Group[]) => groups.map((group) => `${group.name}@${group.domain}`);

it('finds the live groups of every domain whose name starts with the prefix, case-sensitive, by name', async () => {
  await createGroup(world, 'c1', 'h1', { name: 'tab-b', domain: 'school-1' });
  await createGroup(world, 'c2', 'h2', { name: 'tab-a', domain: 'school-2' });
  await createGroup(world, 'c3', 'h3', { name: 'Tab-c', domain: 'school-1' });
  await createGroup(world, 'c4', 'h4', { name: 'other', domain: 'school-1' });

  expect(names(await search('tab'))).toEqual(['tab-a@school-2', 'tab-b@school-1']);
  expect(names(await search('Tab'))).toEqual(['Tab-c@school-1']);
  expect(await search('zzz')).toEqual([]);
  // The whole group, as listGroupsByDomain shows it.
  expect((await search('tab-a'))[0]).toMatchObject({
    id: expect.any(String),
    fullId: expect.any(String),
    hostId: 'h2',
  });
});

it('answers at most 10, or fewer when limit asks for fewer', async () => {
  for (let i = 0; i < 12; i += 1) {
    await createGroup(world, `c${i}`, `h${i}`, { name: `room-${String(i).padStart(2, '0')}`, domain: `d${i}` });
  }

  expect(await search('room')).toHaveLength(10);
  expect(await search('room', 50)).toHaveLength(10);
  expect(names(await search('room', 2))).toEqual(['room-00@d0', 'room-01@d1']);
});

it('leaves out a group whose host heartbeat lapsed, and one past its expiresAt', async () => {
  await createGroup(world, 'c1', 'h1', { name: 'quiet' });
  await createGroup(world, 'c2', 'h2', { name: 'quick', maxConnectionTimeSeconds: 30 });
  world.clock.advanceSeconds(world.settings.hostHeartbeatTtlSeconds + 1);

  expect(await search('qu')).toEqual([]);
});

it('shows a credential bound to domains only their groups', async () => {
  await createGroup(world, 'c1', 'h1', { name: 'class-a', domain: 'class-5b' });
  await createGroup(world, 'c2', 'h2', { name: 'class-b', domain: 'class-6a' });
  const teacher = { ...caller('c-teacher'), principal: { subject: 'teacher-7', domains: ['class-5b'] } };

  const found = await runAction({ action: 'searchGroupsByNamePrefix', namePrefix: 'class' }, teacher, world.deps);

  expect(names(found.data as Group[])).toEqual(['class-a@class-5b']);
});

it.each(['', 'seven!!'])('refuses the prefix %j: 1 to 6 characters', (namePrefix) => {
  const parsed = parseRequest(JSON.stringify({ action: 'searchGroupsByNamePrefix', namePrefix }));
  expect(parsed).toMatchObject({ ok: false, action: 'searchGroupsByNamePrefix' });
});
