/**
 * The chaos books: complete only when every accepted event reached every
 * other member; figures that tell loss, duplicates (raw and emitted),
 * reordering and events that should not have arrived.
 */
import { DeliveryLedger } from '#local/chaos/ledger';

function ledgerOf(...nodes: string[]): DeliveryLedger {
  const ledger = new DeliveryLedger();
  ledger.addGroup('g', nodes);
  return ledger;
}

test('complete once every accepted event was emitted at every other member, not before', () => {
  const ledger = ledgerOf('a', 'b', 'c');
  ledger.fired('a', 0);
  ledger.fired('a', 0);
  ledger.setAccepted('a', 2);
  ledger.emitted('b', 'a', 0, 10);
  ledger.emitted('b', 'a', 1, 20);
  ledger.emitted('c', 'a', 0, 30);
  expect(ledger.complete()).toBe(false);
  expect(ledger.figures()).toMatchObject({ fired: 2, accepted: 2, expected: 4, received: 3, lost: 1 });

  ledger.emitted('c', 'a', 1, 40);

  expect(ledger.complete()).toBe(true);
  expect(ledger.figures()).toMatchObject({ received: 4, lost: 0, latencyMs: { p50: 20, p99: 40, max: 40 } });
});

test('raw copies and reordering at the socket are counted apart from what MeshClient emitted', () => {
  const ledger = ledgerOf('a', 'b');
  for (let i = 0; i < 3; i += 1) ledger.fired('a');
  ledger.setAccepted('a', 3);
  for (const n of [1, 0, 0, 2]) ledger.arrivedRaw('b', 'a', n);
  for (const n of [0, 1, 2]) ledger.emitted('b', 'a', n);

  expect(ledger.figures()).toMatchObject({
    duplicatedRaw: 1,
    outOfOrderRaw: 1,
    duplicatedEmitted: 0,
    outOfOrderEmitted: 0,
  });
});

test('an emission twice, out of order, unaccepted or never fired is caught', () => {
  const ledger = ledgerOf('a', 'b');
  for (let i = 0; i < 3; i += 1) ledger.fired('a');
  ledger.setAccepted('a', 2);
  for (const n of [1, 0, 0, 2, 7]) ledger.emitted('b', 'a', n);
  ledger.emitted('b', 'nobody', 0);

  expect(ledger.figures()).toMatchObject({
    duplicatedEmitted: 1,
    outOfOrderEmitted: 2,
    unexpected: 3,
    received: 2,
    lost: 0,
  });
});
