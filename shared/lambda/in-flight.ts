/**
 * The requests of each connection this container is running, so that
 * closing a connection can wait for the ones it accepted: their replies
 * (route responses) then go out before the close, and nothing accepted goes
 * unanswered. Other containers' requests of the same connection are not
 * seen; a Lambda container runs one request at a time in AWS, many in the
 * local stack's request thread.
 */
export class InFlightRequests {
  private readonly byConnection = new Map<string, Set<Promise<unknown>>>();

  /** Runs `work` as one of `connectionId`'s requests; resolves or rejects as it does. */
  async track<T>(connectionId: string, work: Promise<T>): Promise<T> {
    const running = this.byConnection.get(connectionId) ?? new Set<Promise<unknown>>();
    this.byConnection.set(connectionId, running);
    running.add(work);
    try {
      return await work;
    } finally {
      running.delete(work);
      if (running.size === 0) this.byConnection.delete(connectionId);
    }
  }

  /** Resolves once `connectionId` has no request running here, or after `withinMs`. */
  async settled(connectionId: string, withinMs: number): Promise<void> {
    const running = [...(this.byConnection.get(connectionId) ?? [])];
    if (running.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)));
    await Promise.race([Promise.allSettled(running), timeout]);
    clearTimeout(timer);
  }
}
