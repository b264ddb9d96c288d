/**
 * The polling profile's counting: what each event owes to each kind of
 * receiver, duplicates and the latest-status check, and the --polling flags.
 */
import { encodeTag } from '../../../bench/ledger';
import { parseArgs } from '../../../bench/options';
import { POLLING_PHASE, PollingTally } from '../../../bench/polling/tally';

const tag = (counter: number, measured = true) =>
  encodeTag({ phase: POLLING_PHASE, measured, counter, sentAtMs: Date.now() - 5 });

function tallyOfFour(): PollingTally {
  const tally = new PollingTally();
  tally.addNodes('socket', ['ws0', 'ws1']);
  tally.addNodes('poller', ['p0', 'p1']);
  return tally;
}

describe('PollingTally', () => {
  it('owes an event to every other node, by the kind of receiver, once however often it left', () => {
    const tally = tallyOfFour();

    tally.onWire('p0', 'e', tag(1));
    tally.onWire('p0', 'e', tag(1));
    tally.onWire('ws0', 'e', tag(1));
    tally.onWire('ws0', 'e', tag(2, false));

    // p0's event: 1 other poller, 2 sockets; ws0's: 2 pollers, 1 other socket; the warm-up one: nothing.
    expect(tally.expected).toEqual({ poller: 3, socket: 3 });
    expect(tally.sent).toEqual({ poller: { statusReports: 0, events: 1 }, socket: { statusReports: 0, events: 1 } });
  });

  it('counts a second sighting as a duplicate and finishes when every owed event arrived', () => {
    const tally = tallyOfFour();
    const event = tag(1);
    tally.onWire('ws0', 'e', event);

    for (const receiver of ['ws1', 'p0', 'p1']) tally.onItem('app', receiver, 'ws0', 'e', event);
    tally.onItem('app', 'p0', 'ws0', 'e', event);
    tally.onItem('raw', 'ws1', 'ws0', 'e', event);

    expect(tally.ledgers.poller.counts).toEqual(expect.objectContaining({ delivered: 2, duplicates: 1 }));
    expect(tally.ledgers.socket.counts).toEqual(expect.objectContaining({ delivered: 1, duplicates: 0 }));
    expect(tally.complete()).toBe(true);
  });

  it('checks that every node saw every other node’s last report, whatever came between', () => {
    const tally = tallyOfFour();
    tally.onWire('p0', 's', tag(1));
    tally.onWire('p0', 's', tag(2));

    tally.onItem('app', 'ws0', 'p0', 's', tag(2));
    tally.onItem('app', 'ws1', 'p0', 's', tag(1));
    tally.onItem('app', 'p1', 'p0', 's', tag(2));

    expect(tally.statusConvergence()).toEqual({ pairs: 3, converged: 2 });
    expect(tally.complete()).toBe(false);
  });
});

describe('--polling', () => {
  it('takes the polling flags, with 40 pollers and 8 WebSocket nodes by default', () => {
    expect(parseArgs(['--polling'])).toEqual(expect.objectContaining({ polling: true, pollers: 40, socketNodes: 8 }));
    expect(parseArgs(['--polling', '--pollers', '4', '--socket-nodes', '2'])).toEqual(
      expect.objectContaining({ pollers: 4, socketNodes: 2 }),
    );
  });

  it('refuses a target without an HTTPS endpoint, a group without a WebSocket host, and polling flags without --polling', () => {
    expect(() => parseArgs(['--polling', '--url', 'ws://127.0.0.1:1'])).toThrow(/--http-url/);
    expect(() => parseArgs(['--polling', '--socket-nodes', '0'])).toThrow(/host/);
    expect(() => parseArgs(['--http-url', 'http://127.0.0.1:1/'])).toThrow(/--polling/);
  });
});
