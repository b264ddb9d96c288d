/** The MeshStore contracts (the store's, and its hot-path write's) on the in-memory fake the core's tests use. */
import { describeMeshStoreContract } from '../../contract/mesh-store.contract';
import { describeNodeDropsContract } from '../../contract/node-drops.contract';
import { describeNodeUpdateContract } from '../../contract/node-update.contract';
import { InMemoryMeshStore } from './fakes';

let next = 0;
const subject = () => {
  next += 1;
  return { store: new InMemoryMeshStore(), newKey: () => ({ groupId: `g-${next}`, domain: `contract-${next}` }) };
};
describeMeshStoreContract('in-memory fake', subject);
describeNodeUpdateContract('in-memory fake', subject);
describeNodeDropsContract('in-memory fake', subject);
