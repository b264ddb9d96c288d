/**
 * What the $connect authorizer's claims allow (shared/core/principals.ts): a
 * credential that names domains keeps its connection to them, refusing any
 * other before a store call; createDomain answers its first domain. Without
 * a principal, or with one that allows any domain, nothing changes.
 */
import { runAction } from '#shared/core/actions';
import type { Caller, Principal } from '#shared/core/model';
import { sourceDomain } from '#shared/core/source-domains';
import { ACTIONS, type AnyRequest } from '#shared/protocol/requests';
import { caller, expectErrorType } from './driver';
import { FAKE_DOMAIN_SECRET, fakeWorld } from './fakes';

const teacher: Principal = { subject: 'teacher-7', domains: ['class-5b', 'class-5c'] };
const as = (connectionId: string, principal?: Principal): Caller => ({ ...caller(connectionId), principal });

/** A request of every action that names a domain, for `domain`. */
function requestsFor(domain: string): AnyRequest[] {
  const fields = { groupId: 'g', nodeId: 'n', hostId: 'n', name: 'room', data: [], events: [] };
  return ACTIONS.filter((action) => action !== 'createDomain').map(
    (action) => ({ action, domain, ...fields }) as unknown as AnyRequest,
  );
}

describe('a credential that names domains', () => {
  it('is answered its first domain by createDomain, not its address', async () => {
    const world = fakeWorld();

    const { data } = await runAction({ action: 'createDomain' } as AnyRequest, as('c1', teacher), world.deps);

    expect(data).toBe('class-5b');
  });

  it('creates a group in a domain it names', async () => {
    const world = fakeWorld();
    const request = { action: 'createGroup', name: 'room', hostId: 'host', domain: 'class-5c' } as AnyRequest;

    const { data } = await runAction(request, as('c1', teacher), world.deps);

    expect(data).toMatchObject({ domain: 'class-5c', hostId: 'host' });
  });

  it.each(requestsFor('another-class').map((request) => [request.action, request]))(
    'is refused %s in any other domain, before the store is called',
    async (_action, request) => {
      const world = fakeWorld();

      await expectErrorType(runAction(request, as('c1', teacher), world.deps), 'Unauthorized');

      expect(world.store.calls).toEqual([]);
      expect(world.publisher.pushes).toEqual([]);
    },
  );
});

describe('without a principal, or with one allowing any domain', () => {
  it.each([
    ['no principal (the authorizer off)', undefined],
    ['a principal of any domain (an API key)', { subject: 'ops', domains: null }],
  ])('%s: createDomain answers the source domain and any domain may be used', async (_what, principal) => {
    const world = fakeWorld();
    const who = as('c1', principal as Principal | undefined);

    const domain = await runAction({ action: 'createDomain' } as AnyRequest, who, world.deps);
    const group = await runAction(
      { action: 'createGroup', name: 'room', hostId: 'host', domain: 'anywhere' } as AnyRequest,
      who,
      world.deps,
    );

    expect(domain.data).toBe(sourceDomain(who.sourceIp, FAKE_DOMAIN_SECRET));
    expect(group.data).toMatchObject({ domain: 'anywhere' });
  });
});
