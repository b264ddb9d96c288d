import { describeGroupLogContract } from '../../contract/group-log.contract';
import { InMemoryGroupLog } from './fake-log';

let next = 0;
describeGroupLogContract('in-memory fake', () => {
  const log = new InMemoryGroupLog();
  return {
    log,
    newKey: () => ({ groupId: `g-${(next += 1)}`, domain: 'contract' }),
    dropSealedPage: async (key, start) => log.dropSealedPage(key, start),
  };
});
