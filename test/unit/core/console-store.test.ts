/** The ConsoleStore contract on the in-memory fake, over the fake world's store and log. */
import { describeConsoleStoreContract } from '../../contract/console-store.contract';
import { fakeWorld } from './fakes';

let next = 0;
describeConsoleStoreContract('in-memory fake', () => {
  const world = fakeWorld();
  return {
    console: world.console,
    store: world.store,
    log: world.log,
    newKey: () => {
      next += 1;
      return { groupId: `g-${next}`, domain: `contract-${next}` };
    },
  };
});
