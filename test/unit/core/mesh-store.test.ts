import { describeMeshStoreContract } from '../../contract/mesh-store.contract';
import { InMemoryMeshStore } from './fakes';

let next = 0;
describeMeshStoreContract('in-memory fake', () => {
  next += 1;
  return { store: new InMemoryMeshStore(), newKey: () => ({ groupId: `g-${next}`, domain: `contract-${next}` }) };
});
