/**
 * A minimal typed event emitter that runs in browsers and Node alike (Node's
 * `events` module is not available in a browser bundle).
 */
export type Listener<Args extends unknown[]> = (...args: Args) => void;

type AnyListener = (...args: unknown[]) => void;

export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners = new Map<keyof Events, Set<AnyListener>>();

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events>(name: E, listener: Listener<Events[E]>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as unknown as AnyListener);
    return () => this.off(name, listener);
  }

  /** Adds a listener that runs once. */
  once<E extends keyof Events>(name: E, listener: Listener<Events[E]>): () => void {
    const off = this.on(name, ((...args: Events[E]) => {
      off();
      listener(...args);
    }) as Listener<Events[E]>);
    return off;
  }

  off<E extends keyof Events>(name: E, listener: Listener<Events[E]>): void {
    this.listeners.get(name)?.delete(listener as unknown as AnyListener);
  }

  listenerCount(name: keyof Events): number {
    return this.listeners.get(name)?.size ?? 0;
  }

  /**
   * Calls every listener of `name`. A listener that throws does not stop the
   * others, nor the client's own work: its error is re-thrown on a fresh task
   * so it still shows up (uncaught) where the program can see it.
   */
  protected emit<E extends keyof Events>(name: E, ...args: Events[E]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(...(args as unknown[]));
      } catch (error) {
        setTimeout(() => {
          throw error;
        }, 0);
      }
    }
  }
}
