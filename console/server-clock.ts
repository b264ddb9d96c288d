/**
 * The server's clock as the page estimates it. Rounds are bucketed and ages
 * counted by server time (every timestamp on the wire is the server's); the
 * page learns the offset from each watchMesh answer's `at`. The estimate is
 * off by the answer's one-way trip, well under the charts' one second.
 */
export class ServerClock {
  private offsetMs = 0;

  constructor(private readonly localNow: () => number = Date.now) {}

  /** Takes the server's time from an answer just received. */
  sync(serverIso: string): void {
    const server = Date.parse(serverIso);
    if (Number.isFinite(server)) this.offsetMs = server - this.localNow();
  }

  /** The server's time now, in ms. */
  now(): number {
    return this.localNow() + this.offsetMs;
  }

  /** The server's current unix second. */
  second(): number {
    return Math.floor(this.now() / 1000);
  }
}
