/**
 * The FlushTrigger contract: what shared/core/ports.ts promises of a flush
 * request, run against the core tests' RecordingTrigger
 * (test/unit/core/flush-trigger.test.ts) and the SNS adapter through the real
 * SDK client on the local SNS endpoint (test/integration/acceptance/flush-trigger.test.ts):
 * once `requestFlush` resolves, the fan-out receives that request as sent,
 * read back by the fan-out's own parser where there is one.
 */
import type { FlushRequest, FlushTrigger } from '#shared/core/ports';

export interface FlushTriggerSubject {
  trigger: FlushTrigger;
  /** Every request the fan-out has received so far (waiting for deliveries in flight). */
  delivered(): Promise<FlushRequest[]>;
}

const request = (n: number): FlushRequest => ({
  type: 'flush',
  groupId: `group-${n}`,
  domain: 'ドメイン.example',
  token: `token-${n}`,
  at: 1_800_000_000_000 + n,
});

export function describeFlushTriggerContract(name: string, subject: () => Promise<FlushTriggerSubject>): void {
  describe(`FlushTrigger contract: ${name}`, () => {
    it('hands each accepted request to the fan-out as it was sent', async () => {
      const { trigger, delivered } = await subject();

      await trigger.requestFlush(request(1));
      await trigger.requestFlush(request(2));

      const received = await delivered();
      expect([...received].sort((a, b) => a.at - b.at)).toEqual([request(1), request(2)]);
    });
  });
}
