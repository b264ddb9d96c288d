import { describeNodeUpdateContract } from '../../contract/node-update.contract';
import { InMemoryMeshStore } from './fakes';

let next = 0;
describeNodeUpdateContract('in-memory fake', () => ({
  store: new InMemoryMeshStore(),
  newKey: () => ({ groupId: `g-${(next += 1)}`, domain: 'contract' }),
}));
