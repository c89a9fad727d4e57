import type { SnapshotStore } from './snapshot-store.ts';

/**
 * A {@link SnapshotStore} that remembers its writes and deletes in flight, so a job can wait for
 * them before it reports that it ended: snapshots and checkpoint clean-up are fire-and-forget
 * while the job runs, and a caller that removes the store's directory right after the job must
 * not race them.
 */
export class SettlingStore implements SnapshotStore {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly inner: SnapshotStore) {}

  get volatile(): boolean | undefined {
    return this.inner.volatile;
  }

  put(key: string, bytes: Uint8Array): Promise<void> {
    return this.track(this.inner.put(key, bytes));
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.inner.get(key);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  delete(key: string): Promise<void> {
    return this.track(this.inner.delete(key));
  }

  describe(): string {
    return this.inner.describe();
  }

  /** Resolves once every write and delete started so far has finished (failures included), or after `maxMs`. */
  async settled(maxMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, maxMs);
      timer.unref();
    });
    const all = (async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    })();
    await Promise.race([all, timeout]);
    clearTimeout(timer);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }
}
