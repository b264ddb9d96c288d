import { runAction } from '#shared/core/actions';
import { ACTIONS, type AnyRequest } from '#shared/protocol/requests';
import { fakeWorld } from './fakes';
import { caller, expectErrorType } from './driver';

describe('runAction', () => {
  it('routes every protocol action to a use case (none falls through as unknown)', async () => {
    // Prepare
    const world = fakeWorld();

    // Act: each request is incomplete, so a routed action fails inside its use case, never as "unknown action".
    const messages = await Promise.all(
      ACTIONS.map((action) =>
        runAction(
          { action, groupId: 'g', domain: 'd', nodeId: 'n', hostId: 'n' } as unknown as AnyRequest,
          caller('c'),
          world.deps,
        )
          .then(() => 'ok')
          .catch((error: Error) => error.message),
      ),
    );

    // Assess
    expect(messages.filter((message) => message.startsWith('unknown action'))).toEqual([]);
  });

  it('answers a ValidationError for an action it does not know', async () => {
    // Prepare
    const world = fakeWorld();

    // Act / Assess
    await expectErrorType(
      runAction({ action: 'deleteEverything' } as unknown as AnyRequest, caller('c'), world.deps),
      'ValidationError',
    );
  });
});
