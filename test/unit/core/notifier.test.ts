import { describeNotifierContract } from '../../contract/notifier.contract';
import { FakeNotifier } from './fakes';

let next = 0;
describeNotifierContract('FakeNotifier', () => {
  const notifier = new FakeNotifier();
  return {
    notifier,
    async open() {
      next += 1;
      const connectionId = `conn-${next}`;
      const seen = notifier.posts.length;
      return {
        connectionId,
        // The fake delivers by recording: the frame is the first one posted to this id after `open`.
        nextFrame: async () => {
          for (;;) {
            const post = notifier.posts.slice(seen).find((p) => p.connectionId === connectionId);
            if (post !== undefined) return post.frame;
            await new Promise((resolve) => setImmediate(resolve));
          }
        },
        close: async () => notifier.markGone(connectionId),
        closedByServer: async () => {
          while (!notifier.closed.includes(connectionId)) await new Promise((resolve) => setImmediate(resolve));
          // API Gateway's DeleteConnection closes with 1000: the fake has no socket to say otherwise.
          return 1000;
        },
      };
    },
  };
});
